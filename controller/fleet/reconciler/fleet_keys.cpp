#include "controller/fleet/reconciler/fleet_keys.h"

#include "controller/fleet/api/names.h"

namespace agentfleet::fleet::reconciler {

void AddFleetIndex(kube::informer::Store<kube::informer::PodRecord>& pods) {
  pods.AddIndex(kFleetIndex, [](const kube::informer::PodRecord& p) {
    const std::string* fleet = p.meta.Label(api::kFleetLabel);
    return fleet ? std::vector<std::string>{p.meta.namespace_name + "/" + *fleet}
                 : std::vector<std::string>{};
  });
}

std::optional<std::string> FleetKeyOfPod(const kube::informer::PodRecord& pod) {
  if (const kube::meta::OwnerRef* o = pod.meta.ControllerOwner()) {
    if (o->kind == api::kKind && o->api_version.rfind(std::string(api::kGroup) + "/", 0) == 0) {
      return pod.meta.namespace_name + "/" + o->name;
    }
  }
  if (const std::string* fleet = pod.meta.Label(api::kFleetLabel)) {
    return pod.meta.namespace_name + "/" + *fleet;
  }
  return std::nullopt;
}

}  // namespace agentfleet::fleet::reconciler
