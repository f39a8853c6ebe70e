#pragma once

// Shards over pods: balanced (counts differ by at most one among the pods
// that take shards) and with the fewest possible moves.
//
// With M assignable pods, q = S / M and r = S % M, every assignable pod ends
// with q or q + 1 shards. A pod keeps min(c_i, target_i) of its current c_i
// shards; the r targets of q + 1 go to the pods with the most current shards,
// so the shards kept are Σ min(c_i, q) + min(r, #{c_i > q}) — the most any
// balanced assignment can keep, hence moves = S − kept is the minimum.
// Unassignable pods (not ready, retiring) keep nothing: they are drained first.

#include <cstdint>
#include <span>
#include <vector>

namespace agentfleet::fleet::planner {

// Per shard: the pod index holding a valid lease on it, or one of these.
inline constexpr int32_t kNoHolder = -1;
inline constexpr int32_t kUnknownHolder = -2;  // a valid lease held by a name not among the pods

struct AssignerPod {
  const std::vector<uint32_t>* current = nullptr;  // its current shards (any order)
  bool assignable = false;                         // ready and not retiring
};

struct ShardAssignment {
  std::vector<std::vector<uint32_t>> shards;  // per pod, ascending; empty when unassignable
  std::vector<int32_t> owner;                 // per shard: the pod index, or -1 (no assignable pod)
  uint64_t moves = 0;                         // shards given to a pod that did not have them
  uint64_t minimum_moves = 0;                 // the formula's minimum over the same input
};

// `holder` is empty or has one entry per shard; when present, a pod drops the
// shards it does not hold before those it holds, and a shard claimed by two
// pods stays with its lease holder. Deterministic in the order of `pods`.
ShardAssignment AssignShards(uint32_t shards, std::span<const AssignerPod> pods,
                             std::span<const int32_t> holder);

// S − [Σ min(c_i, q) + min(r, #{c_i > q})] over the assignable pods' current
// counts c_i (disjoint, in range); 0 when there is no assignable pod.
uint64_t MinimumMoves(uint32_t shards, std::span<const uint64_t> current_counts);

}  // namespace agentfleet::fleet::planner
