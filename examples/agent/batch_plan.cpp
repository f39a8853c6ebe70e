#include "examples/agent/batch_plan.h"

#include "examples/agent/task.h"

namespace agentfleet::agent {

void NewestPrices::Add(results::PriceWrite write) {
  auto [it, fresh] = index_.emplace(write.product, prices_.size());
  if (fresh) {
    prices_.push_back(std::move(write));
  } else if (prices_[it->second].version <= write.version) {
    prices_[it->second] = std::move(write);
  }
}

BatchPlan PlanBatch(const std::vector<StreamEntry>& entries, uint32_t shard, uint32_t shard_count) {
  BatchPlan plan;
  NewestPrices newest;
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
    newest.Add({task->product, Reprice(task->base_price), *version});
  }
  plan.prices = newest.Take();
  return plan;
}

}  // namespace agentfleet::agent
