#include "controller/fleet/planner/autoscaling_policy.h"

#include "controller/fleet/planner/hpa_defaults.h"

namespace agentfleet::fleet::planner {

using namespace hpa_defaults;

ScalingRules ResolveScaleUp(const ScalingRules& rules) {
  ScalingRules out = rules;
  if (!out.stabilization_window_seconds) out.stabilization_window_seconds = kScaleUpWindowSeconds;
  if (out.policies.empty()) {
    out.policies = {{ScalingPolicyType::kPercent, kScaleUpPercent, kPeriodSeconds},
                    {ScalingPolicyType::kPods, kScaleUpPods, kPeriodSeconds}};
  }
  if (!out.select_policy) out.select_policy = SelectPolicy::kMax;
  return out;
}

ScalingRules ResolveScaleDown(const ScalingRules& rules) {
  ScalingRules out = rules;
  if (!out.stabilization_window_seconds) {
    out.stabilization_window_seconds = kScaleDownWindowSeconds;
  }
  if (out.policies.empty()) {
    out.policies = {{ScalingPolicyType::kPercent, kScaleDownPercent, kPeriodSeconds}};
  }
  if (!out.select_policy) out.select_policy = SelectPolicy::kMax;
  return out;
}

}  // namespace agentfleet::fleet::planner
