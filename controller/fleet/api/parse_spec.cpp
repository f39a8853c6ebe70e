#include <algorithm>
#include <string>

#include "controller/fleet/api/json_reader.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/fleet/api/parse_backends.h"
#include "controller/fleet/api/parse_metrics.h"
#include "controller/sources/protocol/annotations.h"

namespace agentfleet::fleet::api {
namespace {

using detail::Join;
using detail::JsonReader;
using detail::kMaxDepth;
using detail::kMaxPolicyValue;
using detail::kMaxReplicas;
using detail::kMaxShards;
using Json = nlohmann::json;

ScalingRules ParseRules(JsonReader& r, const Json& behavior, const std::string& path,
                        std::string_view key, ScalingRules rules) {
  const Json* o = r.Object(behavior, path, key);
  if (o == nullptr) return rules;
  std::string p = Join(path, key);
  if (auto w = r.Int(*o, p, "stabilizationWindowSeconds", 0, 3600)) {
    rules.stabilization_window = Seconds{*w};
  }
  if (auto s = r.String(*o, p, "selectPolicy", 16)) {
    if (*s == "Max") {
      rules.select_policy = SelectPolicy::kMax;
    } else if (*s == "Min") {
      rules.select_policy = SelectPolicy::kMin;
    } else if (*s == "Disabled") {
      rules.select_policy = SelectPolicy::kDisabled;
    } else {
      r.Fail(Join(p, "selectPolicy"), "must be one of Max, Min, Disabled");
    }
  }
  if (const Json* list = r.Array(*o, p, "policies", 10)) {
    rules.policies.clear();
    std::string lp = Join(p, "policies");
    if (list->empty()) r.Fail(lp, "must have at least 1 item");
    for (size_t i = 0; i < list->size() && !r.failed(); ++i) {
      std::string ip = detail::Index(lp, i);
      const Json& item = (*list)[i];
      if (!item.is_object()) {
        r.Fail(ip, "must be an object");
        break;
      }
      ScalingPolicy policy;
      auto type = r.String(item, ip, "type", 16, true).value_or("");
      if (type == "Pods") {
        policy.type = PolicyType::kPods;
      } else if (type == "Percent") {
        policy.type = PolicyType::kPercent;
      } else if (!r.failed()) {
        r.Fail(Join(ip, "type"), "must be one of Pods, Percent");
      }
      policy.value =
          static_cast<int32_t>(r.Int(item, ip, "value", 1, kMaxPolicyValue, true).value_or(1));
      policy.period = Seconds{r.Int(item, ip, "periodSeconds", 1, 1800, true).value_or(15)};
      rules.policies.push_back(policy);
    }
  }
  return rules;
}

std::optional<AutoscalingSpec> ParseAutoscaling(JsonReader& r, const Json& spec) {
  const Json* a = r.Object(spec, "spec", "autoscaling");
  if (a == nullptr) return std::nullopt;
  const std::string p = "spec.autoscaling";
  AutoscalingSpec out;
  out.min_replicas = static_cast<int32_t>(r.Int(*a, p, "minReplicas", 0, kMaxReplicas).value_or(1));
  out.max_replicas =
      static_cast<int32_t>(r.Int(*a, p, "maxReplicas", 1, kMaxReplicas, true).value_or(1));
  out.target_queue_depth_per_agent =
      r.Int(*a, p, "targetQueueDepthPerAgent", 1, kMaxDepth).value_or(100);
  out.activation_queue_depth = r.Int(*a, p, "activationQueueDepth", 0, kMaxDepth).value_or(0);
  out.poll_interval = Seconds{r.Int(*a, p, "pollIntervalSeconds", 1, 3600).value_or(5)};
  if (const Json* b = r.Object(*a, p, "behavior")) {
    std::string bp = Join(p, "behavior");
    out.behavior.scale_up = ParseRules(r, *b, bp, "scaleUp", DefaultScaleUpRules());
    out.behavior.scale_down = ParseRules(r, *b, bp, "scaleDown", DefaultScaleDownRules());
  }
  if (const Json* f = r.Object(*a, p, "fallback")) {
    std::string fp = Join(p, "fallback");
    Fallback fb;
    fb.failure_threshold =
        static_cast<int32_t>(r.Int(*f, fp, "failureThreshold", 1, 1000).value_or(3));
    fb.replicas =
        static_cast<int32_t>(r.Int(*f, fp, "replicas", 0, kMaxReplicas, true).value_or(0));
    if (!r.failed() && fb.replicas > out.max_replicas) {
      r.Fail(Join(fp, "replicas"), "must be less than or equal to maxReplicas");
    }
    out.fallback = fb;
  }
  out.metrics = detail::ParseResourceMetrics(r, *a, p);
  if (!r.failed() && out.min_replicas > out.max_replicas) {
    r.Fail(Join(p, "minReplicas"), "must be less than or equal to maxReplicas");
  }
  return out;
}

// Labels and annotations the operator writes on its pods: the template may not
// preset them, or the selector and the assignment would be wrong.
bool IsOperatorOwned(const std::string& key) {
  return key == kFleetLabel || key == sources::protocol::kShardsAnnotation ||
         key == sources::protocol::kAssignmentGenerationAnnotation || key == kRetiringAnnotation;
}

Json ParseTemplate(JsonReader& r, const Json& spec) {
  const Json* t = r.Object(spec, "spec", "template", true);
  if (t == nullptr) return Json::object();
  const std::string p = "spec.template";
  if (const Json* m = r.Object(*t, p, "metadata")) {
    std::string mp = Join(p, "metadata");
    for (std::string_view key : {"labels", "annotations"}) {
      const Json* map = r.Object(*m, mp, key);
      if (map == nullptr) continue;
      for (auto it = map->begin(); it != map->end(); ++it) {
        if (!it->is_string()) r.Fail(Join(Join(mp, key), it.key()), "must be a string");
        if (IsOperatorOwned(it.key())) {
          r.Fail(Join(Join(mp, key), it.key()), "is set by the operator, not the template");
        }
      }
    }
  }
  const Json* ps = r.Object(*t, p, "spec", true);
  if (ps == nullptr) return Json::object();
  const std::string sp = Join(p, "spec");
  const Json* containers = r.Array(*ps, sp, "containers", 20, true);
  if (containers != nullptr) {
    std::string cp = Join(sp, "containers");
    if (containers->empty()) r.Fail(cp, "must have at least 1 item");
    for (size_t i = 0; i < containers->size() && !r.failed(); ++i) {
      const Json& c = (*containers)[i];
      std::string ip = detail::Index(cp, i);
      if (!c.is_object()) {
        r.Fail(ip, "must be an object");
        break;
      }
      (void)r.String(c, ip, "name", 63, true);
      (void)r.String(c, ip, "image", 1024, true);
    }
  }
  return *t;
}

}  // namespace

// An int of 0 or more, or a string "<0-100>%".
std::optional<IntOrPercent> ParseIntOrPercent(JsonReader& r, const Json& parent,
                                              std::string_view path, std::string_view key) {
  if (!parent.contains(key) || parent[key].is_null()) return std::nullopt;
  const Json& v = parent[key];
  const std::string at = Join(path, key);
  if (v.is_number_integer()) {
    auto n = r.Int(parent, path, key, 0, kMaxReplicas);
    if (!n) return std::nullopt;
    return IntOrPercent{static_cast<int32_t>(*n), false};
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() >= 2 && s.size() <= 4 && s.back() == '%' &&
        std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; })) {
      const int value = std::stoi(s.substr(0, s.size() - 1));
      if (value <= 100) return IntOrPercent{value, true};
    }
  }
  r.Fail(at, "must be a count of 0 or more or a percent from \"0%\" to \"100%\"");
  return std::nullopt;
}

UpdateStrategy ParseUpdateStrategy(JsonReader& r, const Json& spec) {
  UpdateStrategy out;
  const Json* u = r.Object(spec, "spec", "updateStrategy");
  if (u == nullptr) return out;
  const std::string p = "spec.updateStrategy";
  const std::string type = r.String(*u, p, "type", 32).value_or("RollingUpdate");
  if (type == "OnDelete") {
    out.type = UpdateStrategyType::kOnDelete;
  } else if (type != "RollingUpdate") {
    r.Fail(Join(p, "type"), "must be RollingUpdate or OnDelete");
  }
  if (const Json* ru = r.Object(*u, p, "rollingUpdate")) {
    const std::string rp = Join(p, "rollingUpdate");
    if (out.type == UpdateStrategyType::kOnDelete) {
      r.Fail(rp, "may be set only with type RollingUpdate");
    }
    if (auto v = ParseIntOrPercent(r, *ru, rp, "maxSurge")) out.max_surge = *v;
    if (auto v = ParseIntOrPercent(r, *ru, rp, "maxUnavailable")) out.max_unavailable = *v;
    if (!r.failed() && out.max_surge.value == 0 && out.max_unavailable.value == 0) {
      r.Fail(rp, "maxSurge and maxUnavailable must not both be 0: the rollout could not move");
    }
  }
  return out;
}

Result<FleetSpec> ParseFleetSpec(const Json& spec) {
  JsonReader r;
  if (!spec.is_object()) return MakeError(ErrorCode::kInvalidArgument, "spec: must be an object");
  FleetSpec out;
  out.shards = static_cast<int32_t>(r.Int(spec, "spec", "shards", 1, kMaxShards).value_or(256));
  if (auto n = r.Int(spec, "spec", "replicas", 0, kMaxReplicas)) {
    out.replicas = static_cast<int32_t>(*n);
  }
  out.autoscaling = ParseAutoscaling(r, spec);
  out.queue = detail::ParseQueue(r, spec);
  out.leases = detail::ParseLeases(r, spec);
  out.pod_template = ParseTemplate(r, spec);
  if (const Json* ret = r.Object(spec, "spec", "retirement")) {
    out.retirement.drain_timeout =
        Seconds{r.Int(*ret, "spec.retirement", "drainTimeoutSeconds", 0, 86400).value_or(300)};
  }
  out.update_strategy = ParseUpdateStrategy(r, spec);
  out.progress_deadline =
      Seconds{r.Int(spec, "spec", "progressDeadlineSeconds", 1, 86400).value_or(600)};
  if (!r.failed() && out.replicas && out.autoscaling) {
    r.Fail("spec.replicas", "must not be set together with spec.autoscaling");
  }
  if (!r.failed() && out.replicas && *out.replicas > out.shards) {
    r.Fail("spec.replicas", "must not exceed spec.shards");
  }
  if (!r.failed() && out.autoscaling && out.autoscaling->max_replicas > out.shards) {
    r.Fail("spec.autoscaling.maxReplicas", "must not exceed spec.shards");
  }
  if (r.failed()) return r.error();
  return out;
}

}  // namespace agentfleet::fleet::api
