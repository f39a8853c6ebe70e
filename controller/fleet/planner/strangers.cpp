#include "controller/fleet/planner/strangers.h"

namespace agentfleet::fleet::planner {

StrangerResult FindStrangers(const StrangerInput& in) {
  StrangerResult out;
  for (const LeaseView& lease : in.leases) {
    if (!lease.valid || lease.shard >= in.shards || in.is_pod(lease.holder)) continue;
    Time since = in.now;
    if (in.clocks) {
      auto before = in.clocks->find(lease.shard);
      if (before != in.clocks->end() && before->second.holder == lease.holder) {
        since = before->second.since;
      }
    }
    out.clocks[lease.shard] = {lease.holder, since};
    if (in.now - since > in.lease_duration) out.revoke.push_back({lease.shard, lease.holder});
  }
  return out;
}

std::string RevokedMessage(std::string_view holder, const std::vector<uint32_t>& shards,
                           Seconds lease_duration) {
  std::string list;
  for (size_t i = 0; i < shards.size() && i < 10; ++i) {
    list += (i ? ", " : "") + std::to_string(shards[i]);
  }
  if (shards.size() > 10) list += " and " + std::to_string(shards.size() - 10) + " more";
  return std::string(holder) + ", which is no pod of this fleet, held shard" +
         (shards.size() == 1 ? " " : "s ") + list + " for over " +
         std::to_string(lease_duration.count()) + "s; the lease" +
         (shards.size() == 1 ? " was" : "s were") +
         " revoked so that the shards' owners can take them";
}

}  // namespace agentfleet::fleet::planner
