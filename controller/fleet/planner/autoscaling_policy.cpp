#include "controller/fleet/planner/autoscaling_policy.h"

namespace agentfleet::fleet::planner {

ScalingRules ResolveScaleUp(const ScalingRules& rules) {
  ScalingRules out = rules;
  if (!out.stabilization_window_seconds) out.stabilization_window_seconds = 0;
  if (out.policies.empty()) {
    out.policies = {{ScalingPolicyType::kPercent, 100, 15}, {ScalingPolicyType::kPods, 4, 15}};
  }
  if (!out.select_policy) out.select_policy = SelectPolicy::kMax;
  return out;
}

ScalingRules ResolveScaleDown(const ScalingRules& rules) {
  ScalingRules out = rules;
  if (!out.stabilization_window_seconds) out.stabilization_window_seconds = 300;
  if (out.policies.empty()) out.policies = {{ScalingPolicyType::kPercent, 100, 15}};
  if (!out.select_policy) out.select_policy = SelectPolicy::kMax;
  return out;
}

}  // namespace agentfleet::fleet::planner
