#pragma once

// Which pods to create and which to retire so that the non-retiring pods
// number `desired`. Retirement order, most expendable first: not Ready before
// Ready, then outdated (an older template) before current, then fewest valid
// leases held (the least to hand off), then newest, then the highest name.
// Retiring is final: a retiring pod is never counted again, and a scale-up
// creates new pods instead. While a live pod is outdated and the policy rolls
// (RollingUpdate, not paused), the rollout's step decides (rollout.h).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "controller/fleet/planner/rollout.h"
#include "controller/fleet/planner/views.h"

namespace agentfleet::fleet::planner {

struct MembershipInput {
  std::string_view fleet;
  int32_t desired = 0;
  std::span<const PodView* const> pods;   // in the planner's order
  std::span<const uint64_t> leases_held;  // per pod: valid leases it holds
  std::span<const uint8_t> stuck;         // per pod: retire it whatever the count
  // Names that must not be given to a new pod: every present pod's and every
  // valid lease holder's.
  const std::unordered_set<std::string_view>* taken = nullptr;
  RolloutPolicy rollout;
  bool paused = false;             // agentfleet.io/paused: no rollout step either
  bool rollout_halted = false;     // see RolloutInput::halted
  bool rollout_unsettled = false;  // see RolloutInput::unsettled
  int32_t draining = 0;            // see RolloutInput::draining
};

struct MembershipPlan {
  std::vector<std::string> create;  // new pod names, ascending index
  std::vector<size_t> retire;       // indexes into pods: stuck ones, then by rank
  bool rolling = false;             // the rollout's step decided
};

MembershipPlan PlanMembership(const MembershipInput& in);

}  // namespace agentfleet::fleet::planner
