#pragma once

// PlanInput building blocks the planner's example tests share.

#include <string>
#include <vector>

#include "controller/fleet/planner/planner.h"

namespace agentfleet::fleet::planner::testing {

inline Time At(int seconds) {
  return Time{} + Seconds(1'800'000'000 + seconds);
}

inline std::vector<uint32_t> Range(uint32_t from, uint32_t to) {
  std::vector<uint32_t> out;
  for (uint32_t s = from; s < to; ++s) out.push_back(s);
  return out;
}

inline PodView Pod(std::string name, bool ready, std::vector<uint32_t> assigned = {},
                   int created_at = 0) {
  return {.name = std::move(name),
          .ready = ready,
          .created_at = At(created_at),
          .assigned = std::move(assigned)};
}

inline std::vector<LeaseView> Held(const std::string& holder, const std::vector<uint32_t>& shards) {
  std::vector<LeaseView> out;
  for (uint32_t s : shards) out.push_back({s, holder, true});
  return out;
}

// A manual fleet of `replicas` (from `current`) over `shards`, at At(100),
// with an empty lease table.
inline PlanInput Manual(int32_t replicas, int32_t current, uint32_t shards = 10) {
  PlanInput in;
  in.fleet = "f";
  in.shards = shards;
  in.manual_replicas = replicas;
  in.current_replicas = current;
  in.leases.emplace();
  in.lease_duration = Seconds(15);
  in.drain_timeout = Seconds(120);
  in.now = At(100);
  return in;
}

}  // namespace agentfleet::fleet::planner::testing
