#include "examples/agent/shard_plan.h"

#include <algorithm>

namespace agentfleet::agent {

ShardPlan PlanShards(const std::vector<uint32_t>& desired,
                     const std::map<uint32_t, HeldShard>& held) {
  ShardPlan plan;
  for (uint32_t s : desired) {
    auto it = held.find(s);
    if (it == held.end()) {
      plan.acquire.push_back(s);
    } else if (it->second.phase == ShardPhase::kDraining) {
      plan.reactivate.push_back(s);
    }
  }
  for (const auto& [shard, h] : held) {
    if (std::binary_search(desired.begin(), desired.end(), shard)) continue;
    if (h.phase == ShardPhase::kActive) plan.start_drain.push_back(shard);
    // A shard being drained this very tick is released at once when idle:
    // a prompt hand-off matters more than one tick of grace.
    if (h.in_flight == 0) plan.release.push_back(shard);
  }
  return plan;
}

}  // namespace agentfleet::agent
