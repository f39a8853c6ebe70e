#pragma once

// What one batch received from a shared queue comes to: per held shard, the
// prices to write (per product the newest task's) and the messages they
// settle; the messages of shards held elsewhere, to give back; the messages
// that are no task, to dead-letter. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "examples/agent/batch_plan.h"
#include "examples/agent/queues/task_queue.h"
#include "examples/agent/results/result_store.h"
#include "examples/agent/shard_table.h"

namespace agentfleet::agent {

struct ShardWork {
  ActiveShard shard;
  std::vector<size_t> deliveries;           // indexes into the batch
  std::vector<results::PriceWrite> prices;  // one per product, in order of first appearance
  // Per delivery (same order), when its task was enqueued, if known.
  std::vector<std::optional<std::chrono::system_clock::time_point>> enqueued;
};

struct MessagePlan {
  std::vector<ShardWork> work;    // in order of the shards' first message
  std::vector<size_t> elsewhere;  // shards this agent does not hold (active) now
  std::vector<InvalidEntry> invalid;
};

MessagePlan PlanMessages(const std::vector<queues::Delivery>& batch,
                         const std::vector<ActiveShard>& active, uint32_t shard_count);

}  // namespace agentfleet::agent
