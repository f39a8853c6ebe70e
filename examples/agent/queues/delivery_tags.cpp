#include "examples/agent/queues/delivery_tags.h"

#include <algorithm>
#include <charconv>

namespace agentfleet::agent::queues {

std::string DeliveryTags::Issue(uint64_t tag) {
  in_work_.insert(tag);
  last_ = std::max(last_, base_ + tag);
  return std::to_string(base_ + tag);
}

Result<uint64_t> DeliveryTags::Resolve(std::string_view receipt) const {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(receipt.data(), receipt.data() + receipt.size(), v);
  if (receipt.empty() || ec != std::errc() || end != receipt.data() + receipt.size() || v == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(receipt.substr(0, 24)) + "' is no delivery tag");
  }
  if (v <= base_) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "delivery " + std::string(receipt) +
                         " came on an earlier connection, which closed: the broker requeued it");
  }
  if (in_work_.count(v - base_) == 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "delivery " + std::string(receipt) + " is not in work (settled already?)");
  }
  return v - base_;
}

void DeliveryTags::Settle(uint64_t tag) {
  in_work_.erase(tag);
}

void DeliveryTags::NewConnection() {
  base_ = last_;
  in_work_.clear();
}

}  // namespace agentfleet::agent::queues
