#include <limits>

#include "controller/fleet/api/json_reader.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/kube/meta/quantity.h"
#include "controller/kube/meta/time.h"

namespace agentfleet::fleet::api {
namespace {

using detail::Join;
using detail::JsonReader;
using Json = nlohmann::json;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

std::optional<Clock::Wall> Time(JsonReader& r, const Json& o, const std::string& path,
                                std::string_view key, bool required = false) {
  auto text = r.String(o, path, key, 64, required);
  if (!text) return std::nullopt;
  auto t = kube::meta::ParseTime(*text);
  if (!t) {
    r.Fail(Join(path, key), t.error().message);
    return std::nullopt;
  }
  return *t;
}

std::optional<Condition> ParseCondition(const Json& item, const std::string& p) {
  JsonReader r;  // strict: a condition is kept whole or not at all
  if (!item.is_object()) return std::nullopt;
  Condition c;
  c.type = r.String(item, p, "type", 316, true).value_or("");
  auto status = r.String(item, p, "status", 16, true).value_or("");
  if (status == "True") {
    c.status = ConditionStatus::kTrue;
  } else if (status == "False") {
    c.status = ConditionStatus::kFalse;
  } else if (status == "Unknown") {
    c.status = ConditionStatus::kUnknown;
  } else {
    r.Fail(Join(p, "status"), "must be one of True, False, Unknown");
  }
  c.observed_generation = r.Int(item, p, "observedGeneration", 0, kInt64Max).value_or(0);
  c.last_transition_time = Time(r, item, p, "lastTransitionTime", true).value_or(Clock::Wall{});
  c.reason = r.String(item, p, "reason", 1024, true).value_or("");
  c.message = r.String(item, p, "message", 32768).value_or("");
  if (r.failed()) return std::nullopt;
  return c;
}

// Strict: the first bad field is the answer. Lenient: bad fields read as
// absent and bad conditions are dropped.
// status.currentMetrics as StatusToJson writes it.
std::vector<ResourceMetricStatus> CurrentMetrics(JsonReader& r, const Json& s,
                                                 const std::string& p) {
  std::vector<ResourceMetricStatus> out;
  const Json* list = r.Array(s, p, "currentMetrics", 2);
  if (list == nullptr) return out;
  const std::string lp = Join(p, "currentMetrics");
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string ip = detail::Index(lp, i);
    const Json& item = (*list)[i];
    const Json* res = item.is_object() ? r.Object(item, ip, "resource", true) : nullptr;
    if (res == nullptr) {
      r.Fail(ip, "must be an object with a resource");
      continue;
    }
    const std::string rp = Join(ip, "resource");
    ResourceMetricStatus m;
    const std::string name = r.String(*res, rp, "name", 16, true).value_or("");
    m.name = name == "memory" ? ResourceMetricName::kMemory : ResourceMetricName::kCpu;
    if (const Json* cur = r.Object(*res, rp, "current", true)) {
      const std::string cp = Join(rp, "current");
      if (auto u = r.Int(*cur, cp, "averageUtilization", 0, kInt32Max)) {
        m.average_utilization = static_cast<int32_t>(*u);
      }
      const std::string text = r.String(*cur, cp, "averageValue", 64, true).value_or("0");
      auto v = m.name == ResourceMetricName::kCpu ? kube::meta::ParseMilliQuantity(text)
                                                  : kube::meta::ParseQuantity(text);
      if (v) {
        m.average_value = *v;
      } else {
        r.Fail(Join(cp, "averageValue"), v.error().message);
      }
    }
    out.push_back(m);
  }
  return out;
}

Result<FleetStatus> ReadStatus(const Json& s, bool lenient) {
  FleetStatus out;
  if (s.is_null()) return out;
  if (!s.is_object()) {
    if (lenient) return out;
    return MakeError(ErrorCode::kInvalidArgument, "status: must be an object");
  }
  JsonReader r(lenient);
  const std::string p = "status";
  out.observed_generation = r.Int(s, p, "observedGeneration", 0, kInt64Max).value_or(0);
  out.replicas = static_cast<int32_t>(r.Int(s, p, "replicas", 0, kInt32Max).value_or(0));
  out.ready_replicas = static_cast<int32_t>(r.Int(s, p, "readyReplicas", 0, kInt32Max).value_or(0));
  out.desired_replicas =
      static_cast<int32_t>(r.Int(s, p, "desiredReplicas", 0, kInt32Max).value_or(0));
  out.updated_replicas =
      static_cast<int32_t>(r.Int(s, p, "updatedReplicas", 0, kInt32Max).value_or(0));
  out.update_revision = r.String(s, p, "updateRevision", 63).value_or("");
  out.current_revision = r.String(s, p, "currentRevision", 63).value_or("");
  out.assignment_generation = r.Int(s, p, "assignmentGeneration", 0, kInt64Max).value_or(0);
  out.queue_depth = r.Int(s, p, "queueDepth", 0, kInt64Max);
  out.current_metrics = CurrentMetrics(r, s, p);
  out.scaling_metric = r.String(s, p, "scalingMetric", 16).value_or("");
  out.last_scale_time = Time(r, s, p, "lastScaleTime");
  if (const Json* sh = r.Object(s, p, "shards")) {
    std::string sp = Join(p, "shards");
    auto count = [&](std::string_view key) {
      return static_cast<int32_t>(r.Int(*sh, sp, key, 0, kInt32Max).value_or(0));
    };
    out.shards.total = count("total");
    out.shards.assigned = count("assigned");
    out.shards.held = count("held");
    out.shards.moving = count("moving");
    out.shards.unowned = count("unowned");
  }
  out.selector = r.String(s, p, "selector", 4096).value_or("");
  if (const Json* list = r.Array(s, p, "conditions", 16)) {
    std::string cp = Join(p, "conditions");
    for (size_t i = 0; i < list->size(); ++i) {
      std::string ip = detail::Index(cp, i);
      auto c = ParseCondition((*list)[i], ip);
      if (!c) {
        r.Fail(ip, "is not a valid condition (type, status, lastTransitionTime, reason)");
        continue;
      }
      bool duplicate = false;
      for (const auto& seen : out.conditions) duplicate = duplicate || seen.type == c->type;
      if (duplicate) {
        r.Fail(Join(ip, "type"), "duplicate condition type " + c->type);
        continue;
      }
      out.conditions.push_back(std::move(*c));
    }
  }
  if (r.failed()) return r.error();
  return out;
}

}  // namespace

Result<FleetStatus> ParseFleetStatus(const Json& status) {
  return ReadStatus(status, /*lenient=*/false);
}

Result<Fleet> ParseFleet(const Json& object) {
  if (!object.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "PricingAgentFleet: not a JSON object");
  }
  Fleet fleet;
  fleet.meta = kube::meta::ParseObjectMeta(
      object, {.annotation_prefixes = {std::string(kAnnotationPrefix)}});
  if (fleet.meta.name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "metadata.name: Required value");
  }
  if (fleet.meta.name.size() > kMaxFleetName) {
    // Every pod create would be refused (the label), and the selector is invalid.
    return MakeError(ErrorCode::kInvalidArgument,
                     "metadata.name: must be at most " + std::to_string(kMaxFleetName) +
                         " characters: every agent pod is labelled " + std::string(kFleetLabel) +
                         "=<name>, and a label value is at most 63 characters");
  }
  auto it = object.find("spec");
  if (it == object.end() || it->is_null()) {
    return MakeError(ErrorCode::kInvalidArgument, "spec: Required value");
  }
  auto spec = ParseFleetSpec(*it);
  if (!spec) return spec.error();
  fleet.spec = std::move(spec).value();
  if (auto st = object.find("status"); st != object.end()) {
    fleet.status = ReadStatus(*st, /*lenient=*/true).value();
  }
  return fleet;
}

}  // namespace agentfleet::fleet::api
