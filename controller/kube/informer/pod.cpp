#include "controller/kube/informer/pod.h"

namespace agentfleet::kube {

PodRecord ToPodRecord(const nlohmann::json& pod) {
  static const MetaFilter kFilter{.label_prefixes = {"agentfleet.io/"},
                                  .annotation_prefixes = {"agentfleet.io/"},
                                  .controller_owner_only = true};
  PodRecord r;
  r.meta = ParseObjectMeta(pod, kFilter);
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
        r.ready_since_unix = ParseRfc3339(c.value("lastTransitionTime", ""));
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
