#pragma once

// Takes tasks from a queue all agents share (queues/task_queue.h) and prices
// those of the shards this agent holds and is still sure of: per shard, one
// fenced write to the result store under the shard's token, and the messages
// settled (Done) only once the store accepted it. A message of a shard held
// elsewhere, or whose write failed or was fenced off, goes back to the queue
// for the next consumer; one that is no task goes to the dead-letter
// destination. A fenced-off write means the lease is lost: the shard is
// dropped at once. While messages are in work the queue is kept alive
// (visibility extended, heartbeat), also through long pricing work. Runs on
// one thread. docs/protocol.md, "Shared queues".

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "controller/obs/log.h"
#include "examples/agent/agent_metrics.h"
#include "examples/agent/message_plan.h"
#include "examples/agent/queues/task_queue.h"
#include "examples/agent/results/result_store.h"
#include "examples/agent/shard_table.h"

namespace agentfleet::agent {

struct SharedWorkerConfig {
  std::string fleet;
  uint32_t shard_count = 0;
  int batch_size = 10;
  std::chrono::milliseconds wait{200};     // longest wait for a message per receive
  std::chrono::milliseconds task_time{0};  // simulated work per task
};

class SharedQueueWorker {
 public:
  SharedQueueWorker(SharedWorkerConfig config, std::unique_ptr<queues::TaskQueue> queue,
                    std::unique_ptr<results::ResultStore> results, ShardTable& table,
                    AgentMetrics& metrics, obs::Logger log);
  ~SharedQueueWorker();

  void Start();
  // Stops taking tasks; the batch in progress is settled. Returns once the
  // thread has ended.
  void StopAndJoin();
  // One receive and what follows; for tests (Start runs it in a loop).
  void RunOnce();

 private:
  void Run();
  void Price(const ShardWork& work);
  // Returns `indexes` of the batch to the queue, counted under `reason`.
  void GiveBack(const std::vector<size_t>& indexes, obs::Counter& reason);
  // Sleeps `d` keeping the unsettled messages alive.
  void Work(std::chrono::milliseconds d);
  void KeepAliveIfDue();
  // The messages at `indexes`, marked settled (the caller settles them).
  std::vector<queues::Delivery> Take(const std::vector<size_t>& indexes);

  SharedWorkerConfig config_;
  std::unique_ptr<queues::TaskQueue> queue_;
  std::unique_ptr<results::ResultStore> results_;
  ShardTable& table_;
  AgentMetrics& metrics_;
  obs::Logger log_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<queues::Delivery> batch_;  // the last batch received
  std::vector<bool> settled_;            // per message of batch_
  std::chrono::steady_clock::time_point last_keep_alive_{};
};

}  // namespace agentfleet::agent
