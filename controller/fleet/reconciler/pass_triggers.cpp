#include "controller/fleet/reconciler/pass_triggers.h"

namespace agentfleet::fleet::reconciler {

bool FleetUpdateStartsPass(const FleetRecord& before, const FleetRecord& after) {
  kube::meta::ObjectMeta meta = before.meta;
  meta.resource_version = after.meta.resource_version;
  return !(meta == after.meta);
}

bool PodUpdateStartsPass(const kube::informer::PodRecord& before,
                         const kube::informer::PodRecord& after) {
  kube::informer::PodRecord pod = before;
  pod.meta.resource_version = after.meta.resource_version;
  return !(pod == after);
}

}  // namespace agentfleet::fleet::reconciler
