#include "controller/fleet/api/parse_metrics.h"

#include "controller/kube/meta/quantity.h"

namespace agentfleet::fleet::api::detail {
namespace {

using Json = nlohmann::json;

std::optional<int64_t> AverageValue(JsonReader& r, const Json& target, const std::string& path,
                                    ResourceMetricName name) {
  const std::string vp = Join(path, "averageValue");
  const auto it = target.find("averageValue");
  if (it == target.end() || it->is_null()) {
    r.Fail(vp, "is required when type is AverageValue");
    return std::nullopt;
  }
  // A quantity: "500m", "256Mi", or a plain number.
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_number_integer()) {
    text = std::to_string(it->get<int64_t>());
  } else {
    r.Fail(vp, "must be a quantity such as 500m or 256Mi");
    return std::nullopt;
  }
  auto value = name == ResourceMetricName::kCpu ? kube::meta::ParseMilliQuantity(text)
                                                : kube::meta::ParseQuantity(text);
  if (!value) {
    r.Fail(vp, value.error().message);
    return std::nullopt;
  }
  if (*value <= 0) {
    r.Fail(vp, "must be greater than 0");
    return std::nullopt;
  }
  return *value;
}

}  // namespace

std::vector<ResourceMetricSpec> ParseResourceMetrics(JsonReader& r, const Json& autoscaling,
                                                     const std::string& path) {
  std::vector<ResourceMetricSpec> out;
  const std::string lp = Join(path, "metrics");
  const Json* list = r.Array(autoscaling, path, "metrics", 2);
  if (list == nullptr) return out;
  for (size_t i = 0; i < list->size() && !r.failed(); ++i) {
    const std::string ip = Index(lp, i);
    const Json& item = (*list)[i];
    if (!item.is_object()) {
      r.Fail(ip, "must be an object");
      break;
    }
    if (r.String(item, ip, "type", 16, true).value_or("") != "Resource" && !r.failed()) {
      r.Fail(Join(ip, "type"), "must be Resource");
    }
    const Json* res = r.Object(item, ip, "resource", true);
    if (res == nullptr) break;
    const std::string rp = Join(ip, "resource");
    ResourceMetricSpec m;
    const std::string name = r.String(*res, rp, "name", 16, true).value_or("");
    if (name == "memory") {
      m.name = ResourceMetricName::kMemory;
    } else if (name != "cpu" && !r.failed()) {
      r.Fail(Join(rp, "name"), "must be one of cpu, memory");
    }
    for (const ResourceMetricSpec& seen : out) {
      if (seen.name == m.name && !r.failed()) r.Fail(Join(rp, "name"), "must not repeat: " + name);
    }
    const Json* target = r.Object(*res, rp, "target", true);
    if (target == nullptr) break;
    const std::string tp = Join(rp, "target");
    const std::string type = r.String(*target, tp, "type", 16, true).value_or("");
    if (type == "Utilization") {
      m.average_utilization = static_cast<int32_t>(
          r.Int(*target, tp, "averageUtilization", 1, kMaxUtilization, true).value_or(1));
      if (target->contains("averageValue") && !r.failed()) {
        r.Fail(Join(tp, "averageValue"), "must not be set when type is Utilization");
      }
    } else if (type == "AverageValue") {
      m.average_value = AverageValue(r, *target, tp, m.name);
      if (target->contains("averageUtilization") && !r.failed()) {
        r.Fail(Join(tp, "averageUtilization"), "must not be set when type is AverageValue");
      }
    } else if (!r.failed()) {
      r.Fail(Join(tp, "type"), "must be one of Utilization, AverageValue");
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace agentfleet::fleet::api::detail
