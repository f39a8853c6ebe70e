#pragma once

// The status a plan implies, carried over from the stored one so that a
// converged fleet yields an equal status (and so no write).

#include <optional>
#include <string>
#include <string_view>

#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"

namespace agentfleet::fleet::reconciler {

struct StatusInput {
  const api::Fleet* fleet = nullptr;  // its stored status is the starting point
  const planner::Plan* plan = nullptr;
  int32_t replicas = 0;                // pods present after the plan's creates and deletes
  std::optional<int64_t> queue_depth;  // absent: keep the last successful reading
  Clock::Wall now{};
};

api::FleetStatus StatusFromPlan(const StatusInput& in);

api::Condition ToApiCondition(const planner::Condition& c, int64_t generation);

// PodNameConflict: True with `message` while pods the fleet creates find
// their names taken by another owner's pods, and Degraded True with the same
// message unless a fault already degrades the fleet; False once a pass meets
// no conflict; absent on a fleet that never had one. `message` empty: none.
void SetNameConflict(api::FleetStatus& s, const std::string& message, int64_t generation,
                     Clock::Wall now);

// Degraded True, reason FailedCreate, with `message` (the API server's
// refusal of a create) unless a fault already degrades the fleet. `message`
// empty: nothing changes.
void SetCreateFailure(api::FleetStatus& s, const std::string& message, int64_t generation,
                      Clock::Wall now);

// Whether `next` has Degraded with `reason` where `before` had another reason
// or another message: the moment for the Event that says it once.
bool DegradedTurned(const api::FleetStatus& before, const api::FleetStatus& next,
                    std::string_view reason);

// The status of a fleet whose spec (or a Secret it needs) cannot be used:
// Ready=False with `reason` and `message`, everything else kept.
api::FleetStatus InvalidStatus(const api::FleetStatus& current, int64_t generation,
                               const std::string& selector, const std::string& reason,
                               const std::string& message, Clock::Wall now);

}  // namespace agentfleet::fleet::reconciler
