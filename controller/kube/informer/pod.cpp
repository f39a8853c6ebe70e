#include "controller/kube/informer/pod.h"

namespace agentfleet::kube {

PodRecord ToPodRecord(const nlohmann::json& pod) {
  static const std::vector<std::string> kPrefixes = {"agentfleet.io/"};
  PodRecord r;
  r.meta = ParseObjectMeta(pod, kPrefixes);
  if (auto spec = pod.find("spec"); spec != pod.end() && spec->is_object()) {
    r.node_name = spec->value("nodeName", "");
  }
  auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return r;
  r.phase = status->value("phase", "");
  r.pod_ip = status->value("podIP", "");
  if (auto conds = status->find("conditions"); conds != status->end() && conds->is_array()) {
    for (const auto& c : *conds) {
      if (c.is_object() && c.value("type", "") == "Ready") {
        r.ready = c.value("status", "") == "True";
        r.ready_since = c.value("lastTransitionTime", "");
      }
    }
  }
  if (auto cs = status->find("containerStatuses"); cs != status->end() && cs->is_array()) {
    for (const auto& c : *cs) {
      if (c.is_object()) r.restarts += c.value("restartCount", 0);
    }
  }
  return r;
}

}  // namespace agentfleet::kube
