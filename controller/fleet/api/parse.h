#pragma once

// Reading a PricingAgentFleet as the API server returns it. The CRD's schema
// and CEL rules reject most bad input before it is stored; these functions
// check again whatever the operator relies on (types, bounds, exactly one
// backend, min <= max <= shards, a usable pod template), so that an object
// written under an older CRD or by a client that bypassed validation gets a
// clear error naming the field, never a crash.

#include <nlohmann/json.hpp>

#include "controller/base/result.h"
#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::api {

// The whole object: metadata, spec (defaults applied) and status. kInvalidArgument,
// naming the field, when the spec cannot be used. A malformed status is no
// reason to stop reconciling: its unreadable fields are left at their zero
// values (the operator rewrites the status anyway).
Result<Fleet> ParseFleet(const nlohmann::json& object);

// `spec` alone; error paths start with "spec.".
Result<FleetSpec> ParseFleetSpec(const nlohmann::json& spec);

// `status` alone, strictly: kInvalidArgument naming the first bad field.
Result<FleetStatus> ParseFleetStatus(const nlohmann::json& status);

}  // namespace agentfleet::fleet::api
