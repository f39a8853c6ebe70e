#include "controller/fleet/planner/rollout.h"

#include <algorithm>

namespace agentfleet::fleet::planner {
namespace {

int32_t Resolve(const IntOrPercent& v, int32_t desired, bool round_up) {
  if (!v.percent) return std::max(0, v.value);
  const int64_t scaled = int64_t{desired} * std::max(0, v.value);
  return static_cast<int32_t>(round_up ? (scaled + 99) / 100 : scaled / 100);
}

}  // namespace

RolloutLimits ResolveLimits(const RolloutPolicy& policy, int32_t desired) {
  RolloutLimits out{Resolve(policy.max_surge, desired, true),
                    Resolve(policy.max_unavailable, desired, false)};
  if (out.max_surge == 0 && out.max_unavailable == 0) out.max_unavailable = 1;
  return out;
}

RolloutStep PlanRolloutStep(const RolloutInput& in, std::span<const uint64_t> leases_held) {
  RolloutStep step;
  const int64_t desired = std::max(0, in.desired);
  std::vector<size_t> old_ready, old_unready, fresh;
  int64_t new_ready = 0, new_ready_empty = 0;
  for (size_t i : in.live) {
    const PodView& p = *in.pods[i];
    if (!p.outdated) {
      fresh.push_back(i);
      new_ready += p.ready ? 1 : 0;
      new_ready_empty += p.ready && p.assigned.empty() ? 1 : 0;
    } else {
      (p.ready ? old_ready : old_unready).push_back(i);
    }
  }
  const int64_t live = static_cast<int64_t>(in.live.size());
  const int64_t news = static_cast<int64_t>(fresh.size());

  const int64_t surge_target = std::min(
      news + std::max<int64_t>(0, desired + in.limits.max_surge - live - in.draining), desired);
  const int64_t create = in.halted ? desired - live : std::max(surge_target - news, desired - live);
  step.create = static_cast<size_t>(std::max<int64_t>(0, create));

  const int64_t min_available = desired - in.limits.max_unavailable;
  // Old pods that serve nothing go first, as long as the pods left (the new
  // ones not yet Ready aside) keep the minimum.
  int64_t budget = live - min_available - (news - new_ready);
  for (size_t i : old_unready) {
    if (budget <= 0) break;
    step.retire.push_back(i);
    --budget;
  }
  // Then Ready old pods, as far as Ready pods exceed the minimum, and, when
  // there is a surge, only as many as new Ready pods wait with no shard (or,
  // should they have been given shards already, as the surge pods present):
  // an old pod's shards then go straight to a new pod, once. Without a surge
  // an old pod must go before its replacement exists, and its shards move
  // twice (to the other pods, then to the new one).
  const int64_t ready = new_ready + static_cast<int64_t>(old_ready.size());
  int64_t spare = std::min(ready - min_available, budget);
  if (in.limits.max_surge > 0) spare = std::min(spare, std::max(new_ready_empty, live - desired));
  // No more old pod goes while a new agent has not taken what it was given
  // (or the lease table cannot tell): a revision whose agents cannot take
  // their leases darkens one step's shards, not the fleet's.
  if (in.unsettled || in.halted) spare = 0;
  std::stable_sort(old_ready.begin(), old_ready.end(),
                   [&](size_t a, size_t b) { return leases_held[a] < leases_held[b]; });
  for (size_t i : old_ready) {
    if (spare <= 0) break;
    step.retire.push_back(i);
    --spare;
  }
  // A scale-down in the middle of a rollout: new pods past `desired` go too,
  // those not Ready first.
  if (news > desired) {
    std::stable_sort(fresh.begin(), fresh.end(), [&](size_t a, size_t b) {
      if (in.pods[a]->ready != in.pods[b]->ready) return !in.pods[a]->ready;
      return leases_held[a] < leases_held[b];
    });
    for (int64_t k = 0; k < news - desired; ++k) step.retire.push_back(fresh[k]);
  }
  return step;
}

}  // namespace agentfleet::fleet::planner
