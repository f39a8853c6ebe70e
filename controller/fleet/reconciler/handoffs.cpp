#include "controller/fleet/reconciler/handoffs.h"

#include "controller/fleet/reconciler/plan_input.h"

namespace agentfleet::fleet::reconciler {

void Handoffs::Started(const std::string& pod, const std::vector<uint32_t>& shards,
                       Clock::Monotonic now) {
  for (uint32_t shard : shards) {
    auto it = moving_.find(shard);
    if (it == moving_.end() || it->second.first != pod) moving_[shard] = {pod, now};
  }
}

std::vector<double> Handoffs::Settle(const sources::lease::LeaseSnapshot& snapshot,
                                     const std::function<bool(const std::string&)>& exists,
                                     Clock::Monotonic now) {
  std::vector<double> done;
  for (auto it = moving_.begin(); it != moving_.end();) {
    const sources::lease::LeaseRecord* held = snapshot.Valid(it->first);
    if (held && HolderPod(held->holder) == it->second.first) {
      done.push_back(std::chrono::duration<double>(now - it->second.second).count());
      it = moving_.erase(it);
    } else if (!exists(it->second.first)) {
      it = moving_.erase(it);
    } else {
      ++it;
    }
  }
  return done;
}

}  // namespace agentfleet::fleet::reconciler
