#include "controller/fleet/reconciler/fleet_record.h"

namespace agentfleet::fleet::reconciler {

FleetRecord ToFleetRecord(const nlohmann::json& object) {
  FleetRecord r{kube::meta::ParseObjectMeta(object), object};
  // The metadata is in `meta`; the spec and status are what ParseFleet needs.
  if (r.object.contains("metadata")) r.object["metadata"].erase("managedFields");
  return r;
}

}  // namespace agentfleet::fleet::reconciler
