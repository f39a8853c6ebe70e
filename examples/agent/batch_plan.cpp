#include "examples/agent/batch_plan.h"

#include <unordered_map>

#include "examples/agent/task.h"

namespace agentfleet::agent {

BatchPlan PlanBatch(const std::vector<StreamEntry>& entries, uint32_t shard, uint32_t shard_count) {
  BatchPlan plan;
  std::unordered_map<std::string, size_t> index;  // product → position in plan.prices
  for (size_t i = 0; i < entries.size(); ++i) {
    const StreamEntry& e = entries[i];
    auto version = results::ParseTaskVersion(e.id);
    if (!version) {
      // Redis IDs may exceed 2^63 - 1 (explicit IDs); such a task cannot be
      // ordered in every store, so it is set aside rather than guessed at.
      plan.invalid.push_back({i, "stream entry id " + e.id + " is beyond the task version range"});
      continue;
    }
    auto task = ParseTask(e.fields);
    Status ok = task.ok() ? CheckShard(*task, shard, shard_count) : Status(task.error());
    if (!ok.ok()) {
      plan.invalid.push_back({i, ok.error().message});
      continue;
    }
    results::PriceWrite write{task->product, Reprice(task->base_price), *version};
    auto [it, fresh] = index.emplace(task->product, plan.prices.size());
    if (fresh) {
      plan.prices.push_back(std::move(write));
    } else if (plan.prices[it->second].version <= write.version) {
      plan.prices[it->second] = std::move(write);
    }
  }
  return plan;
}

}  // namespace agentfleet::agent
