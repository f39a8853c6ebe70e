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

// For every condition of `next` whose type has the same status in `before`,
// the lastTransitionTime of `before`: a pass that sets a condition twice
// (the plan's verdict, then an override) leaves no transition behind it.
void KeepTransitionTimes(const std::vector<Condition>& before, std::vector<Condition>& next);

// Returns whether a condition of that type was there.
bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type);

}  // namespace agentfleet::fleet::api
