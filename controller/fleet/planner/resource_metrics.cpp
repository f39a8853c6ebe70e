#include "controller/fleet/planner/resource_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace agentfleet::fleet::planner {
namespace {

// Whether a pod's cpu sample is left out as unready (the HPA's groupPods): a
// pod starting up burns cpu that says nothing about its load.
bool CpuUnready(const PodUsage& p, const ResourceTuning& t, Time now) {
  if (!p.ready_transition || !p.started) return true;
  if (*p.started + t.cpu_initialization_period > now) {
    return !p.ready || p.sampled < *p.ready_transition + p.window;
  }
  return !p.ready && *p.started + t.initial_readiness_delay > *p.ready_transition;
}

// ceil(x) as a replica count; a ratio beyond int32 asks for the most there is
// (the autoscaler clamps it to maxReplicas).
int32_t Replicas(double x) {
  const double up = std::ceil(x);
  return up >= static_cast<double>(std::numeric_limits<int32_t>::max())
             ? std::numeric_limits<int32_t>::max()
             : static_cast<int32_t>(up);
}

struct Ratio {
  double usage_ratio = 0;
  int64_t average_value = 0;
  std::optional<int32_t> utilization;
};

Result<Ratio> RatioOf(const std::map<std::string, int64_t>& usage,
                      const std::map<std::string, int64_t>& requests,
                      const ResourceTarget& target) {
  Ratio r;
  int64_t used = 0, requested = 0;
  for (const auto& [name, value] : usage) {
    used += value;
    if (target.average_utilization) requested += requests.at(name);
  }
  r.average_value = used / static_cast<int64_t>(usage.size());
  if (target.average_utilization) {
    if (requested <= 0) {
      return MakeError(ErrorCode::kInvalidArgument, "the pods request none of it");
    }
    // Whole percent, as the HPA computes it: its ratio is taken from the rounded-down figure.
    // In a long double: a tiny request (memory: "100") makes a huge percent.
    const long double percent = std::floor(static_cast<long double>(used) * 100 / requested);
    r.utilization =
        static_cast<int32_t>(std::min<long double>(percent, std::numeric_limits<int32_t>::max()));
    r.usage_ratio = static_cast<double>(*r.utilization) / *target.average_utilization;
  } else {
    r.usage_ratio =
        static_cast<double>(r.average_value) / static_cast<double>(*target.average_value);
  }
  return r;
}

}  // namespace

const char* ResourceNameString(ResourceName name) {
  return name == ResourceName::kCpu ? "cpu" : "memory";
}

Result<ResourceRecommendation> RecommendForResource(const ResourceMetric& metric, int32_t current,
                                                    const std::vector<PodUsage>& pods,
                                                    const ResourceTuning& tuning, Time now) {
  const ResourceTarget& target = metric.target;
  if (target.average_utilization.has_value() == target.average_value.has_value() ||
      (target.average_utilization && *target.average_utilization <= 0) ||
      (target.average_value && *target.average_value <= 0)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a target needs exactly one of averageUtilization and averageValue, above 0");
  }
  const bool by_utilization = target.average_utilization.has_value();
  std::map<std::string, int64_t> usage, requests;
  std::vector<std::string> unready, missing;
  int32_t ready = 0;
  for (const PodUsage& p : pods) {
    if (p.deleting || p.failed) continue;
    if (by_utilization) {
      if (!p.request) {
        return MakeError(ErrorCode::kInvalidArgument,
                         std::string("pod ") + p.name + " has a container without a " +
                             ResourceNameString(metric.name) + " request");
      }
      requests[p.name] = *p.request;
    }
    if (p.pending) {
      unready.push_back(p.name);
    } else if (!p.usage) {
      missing.push_back(p.name);
    } else if (metric.name == ResourceName::kCpu && CpuUnready(p, tuning, now)) {
      unready.push_back(p.name);
    } else {
      usage[p.name] = *p.usage;
      ++ready;
    }
  }
  if (usage.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     std::string("no ") + ResourceNameString(metric.name) +
                         " sample of a Ready pod yet (" + std::to_string(missing.size()) +
                         " without a sample, " + std::to_string(unready.size()) + " not Ready)");
  }
  auto first = RatioOf(usage, requests, target);
  if (!first) return first.error();
  ResourceRecommendation rec{current, first->average_value, first->utilization};
  const double ratio = first->usage_ratio;

  const bool count_unready = !unready.empty() && ratio > 1.0;
  if (!count_unready && missing.empty()) {
    if (std::abs(1.0 - ratio) > tuning.tolerance) {
      rec.replicas = Replicas(ratio * ready);
    }
    return rec;
  }
  for (const std::string& name : missing) {
    if (ratio < 1.0) {
      // At least the target: a pod not measured never argues for less.
      usage[name] = by_utilization
                        ? requests[name] * std::max<int64_t>(100, *target.average_utilization) / 100
                        : *target.average_value;
    } else if (ratio > 1.0) {
      usage[name] = 0;
    }
  }
  if (count_unready) {
    for (const std::string& name : unready) usage[name] = 0;
  }
  auto second = RatioOf(usage, requests, target);
  if (!second) return second.error();
  const double again = second->usage_ratio;
  if (std::abs(1.0 - again) <= tuning.tolerance || (ratio < 1.0 && again > 1.0) ||
      (ratio > 1.0 && again < 1.0)) {
    return rec;
  }
  const int32_t replicas = Replicas(again * static_cast<double>(usage.size()));
  if ((again < 1.0 && replicas > current) || (again > 1.0 && replicas < current)) return rec;
  rec.replicas = replicas;
  return rec;
}

}  // namespace agentfleet::fleet::planner
