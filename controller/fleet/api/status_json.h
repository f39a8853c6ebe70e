#pragma once

// The status as the status subresource takes it.

#include <nlohmann/json.hpp>

#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::api {

nlohmann::json ConditionToJson(const Condition& c);

// The `status` object. Absent optionals are left out; ParseFleetStatus reads
// it back to an equal FleetStatus.
nlohmann::json StatusToJson(const FleetStatus& status);

// {"status": ...} for a JSON merge patch of the status subresource. Absent
// optionals are written as null so that a value stored before is removed
// (conditions, a list, are replaced whole by a merge patch).
nlohmann::json StatusMergePatch(const FleetStatus& status);

// The selector of the fleet's pods: "agentfleet.io/fleet=<name>", the value
// of status.selector that the scale subresource hands to an HPA.
std::string PodSelector(std::string_view fleet_name);

}  // namespace agentfleet::fleet::api
