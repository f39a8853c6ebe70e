#pragma once

// The shard-set diff: from the desired set (the assignment) and what the agent
// holds, what to do this tick. Pure.

#include <cstdint>
#include <map>
#include <vector>

namespace agentfleet::agent {

enum class ShardPhase {
  kActive,    // held, tasks are taken
  kDraining,  // held, no longer assigned: no new tasks; released once idle
};

struct HeldShard {
  ShardPhase phase = ShardPhase::kActive;
  int in_flight = 0;  // task batches of the shard being processed now
};

struct ShardPlan {
  std::vector<uint32_t> acquire;      // desired, not held: acquire in one batch
  std::vector<uint32_t> start_drain;  // held and active, no longer desired
  std::vector<uint32_t> reactivate;   // draining, desired again: keep the lease
  std::vector<uint32_t> release;      // draining with nothing in flight (incl. just drained)
  bool operator==(const ShardPlan&) const = default;
};

// `desired` ascending without duplicates. Every list comes out ascending.
ShardPlan PlanShards(const std::vector<uint32_t>& desired,
                     const std::map<uint32_t, HeldShard>& held);

}  // namespace agentfleet::agent
