#pragma once

// Takes the tasks of the shards this agent holds and is still sure of, from
// the streams "<prefix>:<shard>" (consumer group, this agent's holder id as
// the consumer), reprices them, writes the results to the fenced result store
// under the shard's token, and acknowledges them only once the write was
// accepted. A fenced-off write means the lease is lost: the shard is dropped
// at once and its tasks stay pending for the next owner. Runs on one thread.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "controller/obs/log.h"
#include "controller/sources/redis/client.h"
#include "examples/agent/agent_metrics.h"
#include "examples/agent/results/result_store.h"
#include "examples/agent/shard_table.h"
#include "examples/agent/stream_reply.h"

namespace agentfleet::agent {

struct WorkerConfig {
  std::string fleet;
  uint32_t shard_count = 0;
  std::string consumer;  // the holder id
  std::string prefix;
  std::string group;
  int batch_size = 64;
  std::chrono::milliseconds block{200};
  std::chrono::milliseconds claim_min_idle{5'000};
  std::chrono::milliseconds task_time{0};  // simulated work per task
};

class TaskWorker {
 public:
  TaskWorker(WorkerConfig config, std::unique_ptr<sources::redis::Client> queue,
             std::unique_ptr<results::ResultStore> results, ShardTable& table,
             AgentMetrics& metrics, obs::Logger log);
  ~TaskWorker();

  void Start();
  // Stops taking tasks; the batch in progress finishes. Returns once the
  // thread has ended.
  void StopAndJoin();

 private:
  void Run();
  void RunOnce();
  // Creates the group for a newly acquired shard and schedules a claim.
  void Prepare(const ActiveShard& s);
  void Claim(const ActiveShard& s);
  void Process(const ActiveShard& s, const std::string& key, std::vector<StreamEntry> entries);
  std::string Key(uint32_t shard) const;

  WorkerConfig config_;
  std::unique_ptr<sources::redis::Client> queue_;
  std::unique_ptr<results::ResultStore> results_;
  ShardTable& table_;
  AgentMetrics& metrics_;
  obs::Logger log_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::map<uint32_t, int64_t> prepared_;  // shard → token the group was prepared for
  std::map<uint32_t, SteadyTime> next_claim_;
};

}  // namespace agentfleet::agent
