#pragma once

// The fleet's status conditions (Ready, Progressing, Degraded, ScalingLimited)
// derived from a plan. The reconciler stamps lastTransitionTime when a
// condition's status changes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/fleet/planner/autoscaler.h"
#include "controller/fleet/planner/views.h"

namespace agentfleet::fleet::planner {

// The API's condition statuses, mirrored (fleet/reconciler/enum_mirror.h);
// their names are the API's (api::ConditionStatusName).
enum class ConditionStatus { kTrue, kFalse, kUnknown };

struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
};

// Shards by state. held + moving + unowned == total when leases_known.
struct ShardCounts {
  uint64_t total = 0;
  uint64_t assigned = 0;     // given to a pod in the plan
  uint64_t held = 0;         // its assigned pod holds a valid lease
  uint64_t moving = 0;       // another agent (its previous owner) still holds a valid lease
  uint64_t unowned = 0;      // no valid lease at all
  bool leases_known = true;  // false: the lease snapshot failed; held/moving/unowned are 0
};

// A rollout to a new template, as the plan leaves it.
struct RolloutConditionInput {
  int32_t outdated = 0;       // live pods of an older template
  int32_t updated_ready = 0;  // live pods of the current one that are Ready
  bool on_delete = false;
  bool paused = false;
  bool waiting_for_sources = false;  // a source fault holds the rollout
  bool deadline_exceeded = false;
  std::chrono::seconds deadline{600};
};

struct ConditionsInput {
  ScaleDecision scale;
  int32_t ready_replicas = 0;  // Ready pods that are not retiring
  size_t creating = 0;         // pods the plan creates
  size_t retiring = 0;         // pods retiring after the plan (marked, not yet deleted)
  size_t stuck = 0;            // stuck agents found by this plan
  uint64_t moves = 0;
  ShardCounts shards;
  int32_t source_failures = 0;  // consecutive failed queue-depth reads
  // Why the queue depth or the lease table is missing this pass: these decide
  // Degraded before anything else.
  std::optional<SourceFault> queue_fault;
  std::optional<SourceFault> lease_fault;
  RolloutConditionInput rollout;
};

// The Degraded reason of a source fault: "QueueDepthUnavailable" or
// "LeasesUnavailable" for a failed read, else "QueueSource<Kind>" or
// "LeaseStore<Kind>" (NotFound, AccessDenied, InvalidConfiguration,
// Unavailable) for a source that could not be opened, and
// "CredentialsRequired" for a queue the installation lends no identity to.
std::string FaultReason(bool queue, FaultKind kind);

// Always four conditions, in the order Ready, Progressing, Degraded, ScalingLimited.
std::vector<Condition> FleetConditions(const ConditionsInput& in);

}  // namespace agentfleet::fleet::planner
