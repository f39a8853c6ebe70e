#pragma once

// AMQP delivery tags as the receipts of a RabbitMQ queue. Pure.
//
// A channel numbers its deliveries 1, 2, ... afresh, so after a reconnect a
// bare tag kept from the closed connection would name a message of the new
// one (the broker requeued the old message when its connection closed, and
// may well deliver it again under the same tag): acking it would settle the
// wrong delivery. A receipt is therefore the tag offset by the highest
// receipt of the earlier connections: still a decimal delivery tag, strictly
// increasing across connections, and one of a closed connection is told
// apart. Only tags delivered on the current channel and not yet settled
// resolve, since the broker closes a channel that acks an unknown tag.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::agent::queues {

class DeliveryTags {
 public:
  // The receipt of the current channel's delivery `tag`, now in work.
  std::string Issue(uint64_t tag);
  // The current channel's tag of `receipt`. kFailedPrecondition for a
  // receipt of an earlier connection or one not in work (settled already);
  // kInvalidArgument for one that is no receipt at all.
  Result<uint64_t> Resolve(std::string_view receipt) const;
  void Settle(uint64_t tag);
  // A new connection: every receipt issued so far goes stale.
  void NewConnection();
  size_t in_work() const { return in_work_.size(); }

 private:
  uint64_t base_ = 0;  // receipts up to this one belong to earlier connections
  uint64_t last_ = 0;  // the highest receipt issued
  std::set<uint64_t> in_work_;
};

}  // namespace agentfleet::agent::queues
