#pragma once

// The autoscaling part of a fleet's spec, as plain values. The reconciler maps
// the API types (spec.autoscaling) onto these; the semantics are those of the
// HorizontalPodAutoscaler v2 `behavior` field, and of KEDA's activation and
// fallback.

#include <cstdint>
#include <optional>
#include <vector>

#include "controller/fleet/planner/resource_metrics.h"

namespace agentfleet::fleet::planner {

enum class ScalingPolicyType {
  kPods,     // change by at most `value` pods per period
  kPercent,  // change by at most `value` % of the replicas at the period's start
};

// One rate limit: how much the replica count may change over `period_seconds`.
struct HPAScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::kPods;
  int32_t value = 0;           // > 0
  int32_t period_seconds = 0;  // 1..1800
};

enum class SelectPolicy {
  kMax,       // the policy allowing the largest change wins (default)
  kMin,       // the policy allowing the smallest change wins
  kDisabled,  // no scaling in this direction at all
};

// HPAScalingRules of one direction. Unset fields take the HPA v2 defaults of
// that direction (see DefaultScaleUp/DefaultScaleDown), field by field, as the
// Kubernetes API server defaults them.
struct ScalingRules {
  // Seconds of past recommendations considered: scale-up takes the lowest of
  // them, scale-down the highest. Defaults: up 0, down 300.
  std::optional<int32_t> stabilization_window_seconds;
  // Empty means the direction's default policies.
  std::vector<HPAScalingPolicy> policies;
  std::optional<SelectPolicy> select_policy;  // default kMax
};

struct AutoscalingBehavior {
  ScalingRules scale_up;
  ScalingRules scale_down;
};

// After `failure_threshold` consecutive failed queue-depth reads the fleet goes
// to `replicas` — but never below its current count: a read failure never
// scales a fleet down.
struct FallbackPolicy {
  int32_t failure_threshold = 3;  // >= 1
  int32_t replicas = 1;           // >= 0
};

struct AutoscalingPolicy {
  int32_t min_replicas = 1;                  // 0 allowed: scale to zero below the activation depth
  int32_t max_replicas = 1;                  // also clamped to the shard count
  int64_t target_queue_depth_per_agent = 1;  // > 0
  // KEDA's activation: from 0 the fleet scales up only when depth > this; with
  // min_replicas 0 it returns to 0 only when depth <= this.
  // Leaving 0 always reaches at least 1 pod, whatever the scale-up window or
  // policies (unless scale-up's selectPolicy is Disabled).
  int64_t activation_queue_depth = 0;
  double tolerance = 0.1;  // no change while |depth / (current * target) - 1| <= this
  AutoscalingBehavior behavior;
  std::optional<FallbackPolicy> fallback;
  // cpu and memory of the fleet's pods, besides the queue (spec.autoscaling.metrics).
  std::vector<ResourceMetric> resources;
};

// The rules with every unset field filled with HPA v2's default:
// scale up: window 0, max(+100 %, +4 pods) per 15 s; scale down: window 300 s,
// -100 % per 15 s; selectPolicy Max.
ScalingRules ResolveScaleUp(const ScalingRules& rules);
ScalingRules ResolveScaleDown(const ScalingRules& rules);

}  // namespace agentfleet::fleet::planner
