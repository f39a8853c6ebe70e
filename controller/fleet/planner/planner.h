#pragma once

// One reconcile pass's decisions for a fleet, as a pure function of what the
// reconciler observed (PlanInput), the planner's memory of earlier passes
// (PlannerState) and the time. No I/O, no threads, no clock.
//
//   autoscaler -> desired replicas
//   stuck agents, membership -> pods to create / to mark retiring
//   assigner -> shards per pod (balanced, minimal moves, retiring pods drained)
//   retirement -> retiring pods that may be deleted now
//   status -> shard counts, conditions, events

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/fleet/planner/autoscaler.h"
#include "controller/fleet/planner/conditions.h"
#include "controller/fleet/planner/retirement.h"
#include "controller/fleet/planner/rollout.h"
#include "controller/fleet/planner/strangers.h"
#include "controller/fleet/planner/time.h"
#include "controller/fleet/planner/views.h"

namespace agentfleet::fleet::planner {

struct PlanInput {
  std::string fleet;                             // pods are named "<fleet>-<index>"
  uint32_t shards = 0;                           // spec.shards
  std::optional<AutoscalingPolicy> autoscaling;  // absent: manual mode
  int32_t manual_replicas = 0;                   // spec.replicas (manual mode)
  int32_t current_replicas = 0;                  // see AutoscaleInput::current_replicas
  bool paused = false;                           // agentfleet.io/paused
  std::optional<int64_t> queue_depth;            // absent: the read failed
  bool queue_read = true;                        // see AutoscaleInput::queue_read
  // cpu and memory of the fleet's pods (autoscaling->resources): each pod's
  // samples and requests, or why they could not be read.
  std::vector<PodUsage> cpu, memory;
  std::optional<std::string> usage_fault;
  std::optional<SourceFault> queue_fault;        // why queue_depth is absent, when known
  std::vector<PodView> pods;                     // the fleet's pods, any order
  std::optional<std::vector<LeaseView>> leases;  // absent: the snapshot failed
  std::optional<SourceFault> lease_fault;        // why leases are absent, when known
  Seconds lease_duration{15};
  Seconds drain_timeout{300};
  RolloutPolicy rollout;           // spec.updateStrategy
  std::string update_revision;     // the template's revision (pods not outdated run it)
  Seconds progress_deadline{600};  // spec.progressDeadlineSeconds
  Time now;
};

// How a rollout last moved: a new pod turned Ready or an old one went.
struct RolloutClock {
  int64_t updated_ready = -1;  // -1: no rollout under way
  int64_t outdated = -1;
  Time since{};           // the last progress
  bool reported = false;  // the deadline's Event was sent
  // A revision whose agents were found stuck: no rollout to it goes on.
  std::string halted_revision;
};

// What the reconciler keeps between passes for a fleet and hands back.
struct PlannerState {
  AutoscalerState autoscaler;
  std::map<std::string, Time> unheld_since;  // stuck-agent clocks, by pod name
  // Every pod name and lease holder seen since the last readable lease
  // snapshot, in no particular order: while the snapshot fails, any of them
  // may still hold a lease, so none is given to a new pod.
  std::vector<std::string> unverified_names;
  RolloutClock rollout;
  std::map<uint32_t, StrangerClock> stranger_since;  // by shard (strangers.h)
  std::map<uint32_t, std::string> lent;              // shard -> the pod it is lent to (lending.h)
};

struct PodAssignment {
  std::string pod;
  std::vector<uint32_t> shards;  // ascending; format with sources::protocol::FormatShardRanges
  bool changed = false;          // differs from the pod's current annotation
  // The shards of `shards` the pod does not have now: those move to it. A
  // shrinking assignment gains nothing.
  std::vector<uint32_t> gained;
};

struct Retirement {
  std::string pod;
  bool stuck = false;  // replaced because it held none of its shards, not for scale-down
};

struct Deletion {
  std::string pod;
  DeletionReason reason = DeletionReason::kDrained;
  uint64_t leases_held = 0;
};

struct PlanEvent {
  bool warning = false;
  std::string reason;
  std::string message;
  std::string pod;  // empty: the event is about the fleet
};

struct Plan {
  ScaleDecision scale;
  std::vector<std::string> create;  // new pods, in this order
  // One per create, in the same order: the shards a new pod is created with
  // (none during a rollout, where a new pod takes shards once Ready).
  std::vector<PodAssignment> create_assignments;
  // Pods to mark retiring (annotate with `now`). A pod also in `remove` may be
  // deleted without the mark.
  std::vector<Retirement> retire;
  std::vector<Deletion> remove;  // retiring pods to delete now
  // One entry per present pod, in the planner's pod order (index, then name);
  // retiring pods, and pods not Ready kStartLeaseDurations after their
  // creation, get an empty set.
  std::vector<PodAssignment> assignments;
  uint64_t moves = 0;          // shards given to a pod that did not have them
  uint64_t minimum_moves = 0;  // the minimum for this membership change
  int32_t outdated = 0;        // live pods of an older template after the plan
  int32_t updated = 0;         // live pods of the current template after the plan (creates too)
  bool rolling = false;        // a rollout step decided this plan's creates and retirements
  ShardCounts shards;
  int32_t ready_replicas = 0;  // Ready, non-retiring pods
  std::vector<std::string> stuck;
  // Strangers' leases to revoke (strangers.h); the act revokes the ones the
  // lease snapshot showed, by token, and sends a LeaseRevoked Warning for
  // those it did revoke.
  std::vector<RevokedLease> revoke;
  std::vector<PlanEvent> events;
  std::vector<Condition> conditions;  // Ready, Progressing, Degraded, ScalingLimited
  PlannerState next_state;            // store it; pass it to the next MakePlan
};

Plan MakePlan(const PlanInput& input, const PlannerState& state);

}  // namespace agentfleet::fleet::planner
