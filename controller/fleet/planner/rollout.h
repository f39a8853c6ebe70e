#pragma once

// A rolling update of a fleet's pods to a new template revision, with a
// Deployment's arithmetic (maxSurge, maxUnavailable) over the pods that are
// not retiring, except that pods still draining count against the surge. Shards follow on their
// own: an old pod retired in the pass in which a new pod turns Ready drains into it, since the
// assigner moves the fewest shards, so every shard moves once per rollout.

#include <cstdint>
#include <span>
#include <vector>

#include "controller/fleet/planner/views.h"

namespace agentfleet::fleet::planner {

// An int or a percent of the desired count, as intstr.IntOrString.
struct IntOrPercent {
  int32_t value = 0;
  bool percent = false;
  bool operator==(const IntOrPercent&) const = default;
};

struct RolloutPolicy {
  bool on_delete = false;  // OnDelete: pods are replaced only when they go
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{0, false};
  bool operator==(const RolloutPolicy&) const = default;
};

// maxSurge rounds up and maxUnavailable down, of `desired`; when both come
// to 0, maxUnavailable is 1 (as a Deployment resolves them).
struct RolloutLimits {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
};
RolloutLimits ResolveLimits(const RolloutPolicy& policy, int32_t desired);

struct RolloutInput {
  int32_t desired = 0;
  RolloutLimits limits;
  std::span<const PodView* const> pods;  // in the planner's order
  std::span<const size_t> live;          // indexes of the live pods (not retiring, not stuck)
  // Retiring pods that stay beyond this pass (they still hold leases): pods
  // all the same, so they count against the surge.
  int32_t draining = 0;
  // Agents of the update revision were found stuck: it cannot work, so no
  // surge and no old pod retired until the template changes.
  bool halted = false;
  // A new Ready pod holds fewer leases than the shards it was given (or the
  // lease table cannot tell): no old Ready pod goes.
  bool unsettled = false;
};

struct RolloutStep {
  size_t create = 0;           // new pods of the update revision
  std::vector<size_t> retire;  // indexes into pods: old ones, then new ones past `desired`
};

// One pass of a rolling update, when some live pod is outdated:
//   create: min(new + (desired + maxSurge - live - draining), desired) - new,
//     and at least desired - live, so the fleet is never short of pods;
//   retire: first old pods that are not Ready, up to
//     live - (desired - maxUnavailable) - (new pods not Ready), then old
//     Ready pods, up to Ready pods - (desired - maxUnavailable), those with
//     the fewest leases first, and with maxSurge > 0 no more than the new
//     Ready pods that hold no shard yet (so each shard moves once), none
//     while a new Ready pod holds fewer leases than the shards it was given;
//     new pods only past `desired`.
// `leases_held` is per pod.
RolloutStep PlanRolloutStep(const RolloutInput& in, std::span<const uint64_t> leases_held);

}  // namespace agentfleet::fleet::planner
