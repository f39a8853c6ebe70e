#include "controller/fleet/api/status_json.h"

#include "controller/fleet/api/names.h"
#include "controller/kube/meta/time.h"

namespace agentfleet::fleet::api {

using Json = nlohmann::json;

Json ConditionToJson(const Condition& c) {
  return Json{{"type", c.type},
              {"status", ConditionStatusName(c.status)},
              {"observedGeneration", c.observed_generation},
              {"lastTransitionTime", kube::meta::FormatTime(c.last_transition_time)},
              {"reason", c.reason},
              {"message", c.message}};
}

Json StatusToJson(const FleetStatus& s) {
  Json out{{"observedGeneration", s.observed_generation},
           {"replicas", s.replicas},
           {"readyReplicas", s.ready_replicas},
           {"desiredReplicas", s.desired_replicas},
           {"updatedReplicas", s.updated_replicas},
           {"assignmentGeneration", s.assignment_generation},
           {"shards",
            {{"total", s.shards.total},
             {"assigned", s.shards.assigned},
             {"held", s.shards.held},
             {"moving", s.shards.moving},
             {"unowned", s.shards.unowned}}},
           {"conditions", Json::array()}};
  if (s.queue_depth) out["queueDepth"] = *s.queue_depth;
  if (!s.current_metrics.empty()) {
    Json list = Json::array();
    for (const ResourceMetricStatus& m : s.current_metrics) {
      const bool cpu = m.name == ResourceMetricName::kCpu;
      Json current{{"averageValue", std::to_string(m.average_value) + (cpu ? "m" : "")}};
      if (m.average_utilization) current["averageUtilization"] = *m.average_utilization;
      list.push_back(
          {{"type", "Resource"},
           {"resource", {{"name", cpu ? "cpu" : "memory"}, {"current", std::move(current)}}}});
    }
    out["currentMetrics"] = std::move(list);
  }
  if (!s.scaling_metric.empty()) out["scalingMetric"] = s.scaling_metric;
  if (s.last_scale_time) out["lastScaleTime"] = kube::meta::FormatTime(*s.last_scale_time);
  if (!s.selector.empty()) out["selector"] = s.selector;
  if (!s.update_revision.empty()) out["updateRevision"] = s.update_revision;
  if (!s.current_revision.empty()) out["currentRevision"] = s.current_revision;
  for (const auto& c : s.conditions) out["conditions"].push_back(ConditionToJson(c));
  return out;
}

Json StatusMergePatch(const FleetStatus& status) {
  Json s = StatusToJson(status);
  for (const char* key : {"queueDepth", "currentMetrics", "scalingMetric", "lastScaleTime",
                          "selector", "updateRevision", "currentRevision"}) {
    if (!s.contains(key)) s[key] = nullptr;
  }
  return Json{{"status", std::move(s)}};
}

std::string PodSelector(std::string_view fleet_name) {
  return std::string(kFleetLabel) + "=" + std::string(fleet_name);
}

}  // namespace agentfleet::fleet::api
