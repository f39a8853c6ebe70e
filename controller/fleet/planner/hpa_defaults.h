#pragma once

// The HorizontalPodAutoscaler v2 `behavior` defaults, written once: the API's
// defaulting (fleet/api/types.cpp) and the planner's resolution of unset
// fields (autoscaling_policy.cpp) both read them. Header-only and free of any
// type, so that the API depends on no planner code.

#include <cstdint>

namespace agentfleet::fleet::planner::hpa_defaults {

inline constexpr int32_t kPeriodSeconds = 15;
// Scale up: no stabilization, the larger of +100 % and +4 pods per period.
inline constexpr int32_t kScaleUpWindowSeconds = 0;
inline constexpr int32_t kScaleUpPercent = 100;
inline constexpr int32_t kScaleUpPods = 4;
// Scale down: the highest recommendation of 300 s, then -100 % per period.
inline constexpr int32_t kScaleDownWindowSeconds = 300;
inline constexpr int32_t kScaleDownPercent = 100;

}  // namespace agentfleet::fleet::planner::hpa_defaults
