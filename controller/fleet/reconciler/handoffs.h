#pragma once

// Hand-offs in flight: a shard given to a pod is handed off once that pod holds
// the shard's lease. Their durations are the agentfleet_handoff_seconds
// histogram: how long a moved shard goes without its new owner.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "controller/base/clock.h"
#include "controller/sources/lease/lease_store.h"

namespace agentfleet::fleet::reconciler {

class Handoffs {
 public:
  // `pod` was given `shards`; a shard it was already moving to keeps its start.
  void Started(const std::string& pod, const std::vector<uint32_t>& shards, Clock::Monotonic now);

  // Ends the hand-offs whose new owner holds the lease in `snapshot` and
  // returns their durations in seconds; drops those whose pod no longer
  // exists (`exists` says).
  std::vector<double> Settle(const sources::lease::LeaseSnapshot& snapshot,
                             const std::function<bool(const std::string&)>& exists,
                             Clock::Monotonic now);

  size_t size() const { return moving_.size(); }

 private:
  std::map<uint32_t, std::pair<std::string, Clock::Monotonic>> moving_;  // shard -> new owner
};

}  // namespace agentfleet::fleet::reconciler
