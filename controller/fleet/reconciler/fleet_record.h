#pragma once

// A PricingAgentFleet as the fleet cache holds it: the metadata the runtime
// indexes plus the object itself, parsed (ParseFleet) at each reconcile so
// that an invalid spec is reported on the fleet rather than dropped by the
// cache. Fleets are few; their pods are the many, and those stay compact.

#include <nlohmann/json.hpp>

#include "controller/kube/meta/object_meta.h"

namespace agentfleet::fleet::reconciler {

struct FleetRecord {
  kube::meta::ObjectMeta meta;
  nlohmann::json object;
};

FleetRecord ToFleetRecord(const nlohmann::json& object);

}  // namespace agentfleet::fleet::reconciler
