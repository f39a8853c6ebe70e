#pragma once

// Leases held by strangers: a valid lease whose holder is no pod of the fleet
// (a force-deleted pod whose agent lives on, a pod whose label was removed by
// hand). Its shard's owner could never take it; rather than finding that
// owner stuck and replacing it, the operator revokes the stranger's lease
// once it has been a stranger's for a whole lease duration (long enough for
// a pod the cache has not shown yet to appear).

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/fleet/planner/time.h"
#include "controller/fleet/planner/views.h"

namespace agentfleet::fleet::planner {

// Since when a shard's lease has been held by the same stranger.
struct StrangerClock {
  std::string holder;
  Time since;
  bool operator==(const StrangerClock&) const = default;
};

struct RevokedLease {
  uint32_t shard = 0;
  std::string holder;  // the stranger, as the planner names holders (the pod part)
};

struct StrangerInput {
  std::span<const LeaseView> leases;  // the snapshot's
  uint32_t shards = 0;
  std::function<bool(std::string_view)> is_pod;  // a pod of the fleet
  Seconds lease_duration{15};
  Time now;
  const std::map<uint32_t, StrangerClock>* clocks = nullptr;  // the last pass's
};

struct StrangerResult {
  std::vector<RevokedLease> revoke;  // ascending by shard
  std::map<uint32_t, StrangerClock> clocks;
};

StrangerResult FindStrangers(const StrangerInput& in);

// "zombie-7, which is no pod of this fleet, held shards 5, 6 for over 15s; ..."
std::string RevokedMessage(std::string_view holder, const std::vector<uint32_t>& shards,
                           Seconds lease_duration);

}  // namespace agentfleet::fleet::planner
