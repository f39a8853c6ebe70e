#pragma once

// When a retiring pod may be deleted, and which agents are stuck.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controller/fleet/planner/time.h"
#include "controller/fleet/planner/views.h"

namespace agentfleet::fleet::planner {

enum class DeletionReason {
  kDrained,       // it holds no valid lease: its shards are free for their new owners
  kDrainTimeout,  // drainTimeout passed since it started retiring; its leases will expire
};

// Whether a retiring pod may be deleted now. Without a lease snapshot
// (`leases_known` false) only the drain timeout can release it.
std::optional<DeletionReason> RetirementVerdict(Time retiring_since, uint64_t leases_held,
                                                bool leases_known, Seconds drain_timeout, Time now);

// How long a Ready agent may hold none of its assigned shards' leases.
inline constexpr int kStuckLeaseDurations = 3;

// How long after its creation a pod that is not Ready keeps the shards it was
// created with (or given since): then they go to Ready pods, and it gets
// shards again once it turns Ready. A pod that never starts (unschedulable,
// its image never pulled) keeps its shards unworked this long at most.
inline constexpr int kStartLeaseDurations = 3;

struct StuckInput {
  std::span<const PodView* const> pods;  // in the planner's order
  uint32_t shards = 0;
  std::span<const int32_t> holder;  // per shard: the pod index holding a valid lease (assigner.h)
  Seconds lease_duration{0};
  Time now;
  // Since when each agent has held none of its shards (from the last pass).
  const std::map<std::string, Time>* unheld_since = nullptr;
};

struct StuckResult {
  std::vector<uint8_t> stuck;                // per pod
  std::map<std::string, Time> unheld_since;  // for the next pass; only agents now holding none
};

// A Ready, non-retiring pod with assigned shards of which it has held none for
// longer than kStuckLeaseDurations lease durations is stuck. A pod with no
// assignment, not Ready, or holding any of its shards starts over; so does
// every agent on a pass without a lease snapshot (agents cannot take leases
// from a store the operator cannot read either).
StuckResult FindStuckAgents(const StuckInput& in);

}  // namespace agentfleet::fleet::planner
