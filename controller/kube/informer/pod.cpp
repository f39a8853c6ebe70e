#include "controller/kube/informer/pod.h"

#include <vector>

#include "controller/kube/meta/json_fields.h"
#include "controller/kube/meta/quantity.h"
#include "controller/kube/meta/time.h"

namespace agentfleet::kube::informer {

namespace {
using meta::StringField;

// The requests of the containers that run beside each other, as the HPA sums
// them: the containers and the sidecars (init containers with restartPolicy
// Always), not the init containers that end before them.
void SumRequests(const nlohmann::json& spec, PodRecord& r) {
  auto containers = spec.find("containers");
  if (containers == spec.end() || !containers->is_array() || containers->empty()) return;
  std::vector<const nlohmann::json*> running;
  for (const auto& c : *containers) running.push_back(&c);
  if (auto init = spec.find("initContainers"); init != spec.end() && init->is_array()) {
    for (const auto& c : *init) {
      if (c.is_object() && StringField(c, "restartPolicy") == "Always") running.push_back(&c);
    }
  }
  int64_t cpu = 0, memory = 0;
  for (const nlohmann::json* c : running) {
    const nlohmann::json* requests = nullptr;
    if (auto res = c->is_object() ? c->find("resources") : c->end();
        res != c->end() && res->is_object()) {
      if (auto q = res->find("requests"); q != res->end() && q->is_object()) requests = &*q;
    }
    auto read = [&](const char* name, bool milli, int64_t& sum) {
      if (sum < 0) return;
      const std::string text = requests ? StringField(*requests, name) : std::string();
      if (text.empty()) {
        sum = -1;
        return;
      }
      auto v = milli ? meta::ParseMilliQuantity(text) : meta::ParseQuantity(text);
      sum = v ? sum + *v : -1;
    };
    read("cpu", true, cpu);
    read("memory", false, memory);
  }
  r.cpu_request_milli = cpu;
  r.memory_request = memory;
}
}  // namespace

PodRecord ToPodRecord(const nlohmann::json& pod) {
  static const meta::MetaFilter kFilter{.label_prefixes = {"agentfleet.io/"},
                                        .annotation_prefixes = {"agentfleet.io/"},
                                        .controller_owner_only = true};
  PodRecord r;
  r.meta = meta::ParseObjectMeta(pod, kFilter);
  if (auto spec = pod.find("spec"); spec != pod.end() && spec->is_object()) {
    r.node_name = StringField(*spec, "nodeName");
    SumRequests(*spec, r);
  }
  auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return r;
  r.phase = StringField(*status, "phase");
  r.started_unix = meta::ParseUnixSeconds(StringField(*status, "startTime"));
  r.pod_ip = StringField(*status, "podIP");
  if (auto conds = status->find("conditions"); conds != status->end() && conds->is_array()) {
    for (const auto& c : *conds) {
      if (c.is_object() && StringField(c, "type") == "Ready") {
        r.ready = StringField(c, "status") == "True";
        r.ready_since_unix = meta::ParseUnixSeconds(StringField(c, "lastTransitionTime"));
      }
    }
  }
  if (auto cs = status->find("containerStatuses"); cs != status->end() && cs->is_array()) {
    for (const auto& c : *cs) {
      auto n = c.is_object() ? c.find("restartCount") : c.end();
      if (n != c.end() && n->is_number_integer()) r.restarts += n->get<int32_t>();
    }
  }
  return r;
}

}  // namespace agentfleet::kube::informer
