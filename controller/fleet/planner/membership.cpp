#include "controller/fleet/planner/membership.h"

#include <algorithm>

#include "controller/fleet/planner/pod_names.h"

namespace agentfleet::fleet::planner {
namespace {

bool RetireBefore(const MembershipInput& in, size_t a, size_t b) {
  const PodView& pa = *in.pods[a];
  const PodView& pb = *in.pods[b];
  if (pa.ready != pb.ready) return !pa.ready;
  if (pa.outdated != pb.outdated) return pa.outdated;
  if (in.leases_held[a] != in.leases_held[b]) return in.leases_held[a] < in.leases_held[b];
  if (pa.created_at != pb.created_at) return pa.created_at > pb.created_at;
  // A name outside the "<fleet>-<index>" scheme goes first, then the highest index.
  const auto ia = PodIndex(in.fleet, pa.name);
  const auto ib = PodIndex(in.fleet, pb.name);
  if (ia.has_value() != ib.has_value()) return !ia.has_value();
  if (ia && *ia != *ib) return *ia > *ib;
  return pa.name > pb.name;
}

}  // namespace

MembershipPlan PlanMembership(const MembershipInput& in) {
  MembershipPlan plan;
  std::vector<size_t> live;
  for (size_t i = 0; i < in.pods.size(); ++i) {
    if (in.pods[i]->retiring) continue;
    if (in.stuck[i]) {
      plan.retire.push_back(i);
    } else {
      live.push_back(i);
    }
  }
  const bool outdated =
      std::any_of(live.begin(), live.end(), [&](size_t i) { return in.pods[i]->outdated; });
  if (outdated && !in.rollout.on_delete && !in.paused) {
    RolloutStep step = PlanRolloutStep({.desired = in.desired,
                                        .limits = ResolveLimits(in.rollout, in.desired),
                                        .pods = in.pods,
                                        .live = live,
                                        .draining = in.draining,
                                        .halted = in.rollout_halted,
                                        .unsettled = in.rollout_unsettled},
                                       in.leases_held);
    plan.rolling = true;
    plan.create = NewPodNames(in.fleet, step.create, *in.taken);
    plan.retire.insert(plan.retire.end(), step.retire.begin(), step.retire.end());
    return plan;
  }
  const size_t desired = static_cast<size_t>(std::max(0, in.desired));
  if (live.size() < desired) {
    plan.create = NewPodNames(in.fleet, desired - live.size(), *in.taken);
  } else if (live.size() > desired) {
    const size_t extra = live.size() - desired;
    std::partial_sort(live.begin(), live.begin() + extra, live.end(),
                      [&](size_t a, size_t b) { return RetireBefore(in, a, b); });
    plan.retire.insert(plan.retire.end(), live.begin(), live.begin() + extra);
  }
  return plan;
}

}  // namespace agentfleet::fleet::planner
