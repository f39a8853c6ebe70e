#include "controller/fleet/api/types.h"

#include <algorithm>

#include "controller/fleet/api/names.h"
#include "controller/fleet/planner/hpa_defaults.h"

namespace agentfleet::fleet::api {

std::string_view QueueKindName(const QueueSpec& queue) {
  static constexpr std::string_view kNames[] = {"redisStreams", "redisList", "sqs", "rabbitmq"};
  return kNames[queue.index()];
}

ScalingRules DefaultScaleUpRules() {
  using namespace planner::hpa_defaults;
  return {.stabilization_window = Seconds{kScaleUpWindowSeconds},
          .select_policy = SelectPolicy::kMax,
          .policies = {{PolicyType::kPercent, kScaleUpPercent, Seconds{kPeriodSeconds}},
                       {PolicyType::kPods, kScaleUpPods, Seconds{kPeriodSeconds}}}};
}

ScalingRules DefaultScaleDownRules() {
  using namespace planner::hpa_defaults;
  return {.stabilization_window = Seconds{kScaleDownWindowSeconds},
          .select_policy = SelectPolicy::kMax,
          .policies = {{PolicyType::kPercent, kScaleDownPercent, Seconds{kPeriodSeconds}}}};
}

std::string_view ConditionStatusName(ConditionStatus s) {
  switch (s) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      break;
  }
  return "Unknown";
}

bool Fleet::Paused() const {
  const std::string* v = meta.Annotation(kPausedAnnotation);
  return v != nullptr && *v == "true";
}

bool Fleet::HasFinalizer() const {
  return std::find(meta.finalizers.begin(), meta.finalizers.end(), kLeaseCleanupFinalizer) !=
         meta.finalizers.end();
}

}  // namespace agentfleet::fleet::api
