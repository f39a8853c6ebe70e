#pragma once

// The planner keeps its own copies of a few API enums so that it knows nothing
// of the API types. These tables are the one place where each pair is written;
// plan_input (into the planner) and fleet_status (out of it) both read them.

#include <array>
#include <utility>

#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/autoscaling_policy.h"
#include "controller/fleet/planner/conditions.h"

namespace agentfleet::fleet::reconciler {

inline constexpr std::array kPolicyTypes{
    std::pair{api::PolicyType::kPods, planner::ScalingPolicyType::kPods},
    std::pair{api::PolicyType::kPercent, planner::ScalingPolicyType::kPercent},
};

inline constexpr std::array kSelectPolicies{
    std::pair{api::SelectPolicy::kMax, planner::SelectPolicy::kMax},
    std::pair{api::SelectPolicy::kMin, planner::SelectPolicy::kMin},
    std::pair{api::SelectPolicy::kDisabled, planner::SelectPolicy::kDisabled},
};

inline constexpr std::array kConditionStatuses{
    std::pair{api::ConditionStatus::kTrue, planner::ConditionStatus::kTrue},
    std::pair{api::ConditionStatus::kFalse, planner::ConditionStatus::kFalse},
    std::pair{api::ConditionStatus::kUnknown, planner::ConditionStatus::kUnknown},
};

// The planner's value of an API enum value; every value has an entry.
template <typename Api, typename Planner, size_t N>
constexpr Planner ToPlanner(Api value, const std::array<std::pair<Api, Planner>, N>& table) {
  for (const auto& [a, p] : table) {
    if (a == value) return p;
  }
  return table[0].second;
}

// The API's value of a planner enum value; every value has an entry.
template <typename Api, typename Planner, size_t N>
constexpr Api ToApi(Planner value, const std::array<std::pair<Api, Planner>, N>& table) {
  for (const auto& [a, p] : table) {
    if (p == value) return a;
  }
  return table[0].first;
}

}  // namespace agentfleet::fleet::reconciler
