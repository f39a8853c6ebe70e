#pragma once

// Condition bookkeeping with metav1's semantics (meta.SetStatusCondition):
// lastTransitionTime moves only when the status changes.

#include <string_view>
#include <vector>

#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::api {

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// Adds or updates the condition of `c.type`. When the status is unchanged the
// stored lastTransitionTime is kept; otherwise it becomes `now` (to the
// second). Returns whether anything changed.
bool SetCondition(std::vector<Condition>& conditions, Condition c, Clock::Wall now);

// Returns whether a condition of that type was there.
bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type);

}  // namespace agentfleet::fleet::api
