#include "controller/fleet/planner/retirement.h"

namespace agentfleet::fleet::planner {

std::optional<DeletionReason> RetirementVerdict(Time retiring_since, uint64_t leases_held,
                                                bool leases_known, Seconds drain_timeout,
                                                Time now) {
  if (leases_known && leases_held == 0) return DeletionReason::kDrained;
  if (now - retiring_since >= drain_timeout) return DeletionReason::kDrainTimeout;
  return std::nullopt;
}

StuckResult FindStuckAgents(const StuckInput& in) {
  StuckResult out;
  out.stuck.assign(in.pods.size(), 0);
  if (in.holder.size() != in.shards) return out;  // no lease snapshot: nothing to judge by
  for (size_t i = 0; i < in.pods.size(); ++i) {
    const PodView& pod = *in.pods[i];
    if (!pod.ready || pod.retiring) continue;
    bool any_assigned = false;
    bool any_held = false;
    for (uint32_t s : pod.assigned) {
      if (s >= in.shards) continue;
      any_assigned = true;
      if (in.holder[s] == static_cast<int32_t>(i)) {
        any_held = true;
        break;
      }
    }
    if (!any_assigned || any_held) continue;
    Time since = in.now;
    if (in.unheld_since) {
      if (auto it = in.unheld_since->find(pod.name); it != in.unheld_since->end()) {
        since = it->second;
      }
    }
    out.unheld_since.emplace(pod.name, since);
    if (in.now - since > kStuckLeaseDurations * in.lease_duration) out.stuck[i] = 1;
  }
  return out;
}

}  // namespace agentfleet::fleet::planner
