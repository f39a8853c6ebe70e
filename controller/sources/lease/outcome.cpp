#include "controller/sources/lease/outcome.h"

namespace agentfleet::sources::lease {

Result<Lease> ToLease(Op op, std::string_view fleet, std::string_view holder, int64_t token,
                      const Outcome& o) {
  const std::string where =
      "shard " + std::to_string(o.shard) + " of fleet " + std::string(fleet) + ": ";
  if (o.ok && o.record) return Lease{o.shard, o.record->token, o.record->expires_at_ms};
  auto fail = [&](std::string why) {
    return MakeError(ErrorCode::kFailedPrecondition, where + why);
  };
  if (!o.record) {
    // An acquire can lose to a row inserted concurrently, after the snapshot
    // the store used to describe the conflict.
    return fail(op == Op::kAcquire ? "acquired concurrently by another holder"
                                   : "the shard was never acquired");
  }
  const LeaseRecord& r = *o.record;
  if (op == Op::kAcquire) {
    return fail("held by " + r.holder + " (token " + std::to_string(r.token) + ") for another " +
                std::to_string(r.expires_at_ms - o.now_ms) + " ms");
  }
  if (r.holder != holder) {
    return fail(r.holder.empty() ? "the lease was released"
                                 : "held by " + r.holder + ", not by " + std::string(holder));
  }
  if (r.token != token) {
    return fail("token " + std::to_string(token) + " is stale; the current token is " +
                std::to_string(r.token));
  }
  if (op == Op::kRenew && !r.ValidAt(o.now_ms)) {
    return fail("the lease expired " + std::to_string(o.now_ms - r.expires_at_ms) +
                " ms ago; acquire it again");
  }
  return MakeError(ErrorCode::kConflict, where + "the lease changed during the call; retry");
}

Status ToRevoked(std::string_view fleet, int64_t token, const Outcome& o) {
  if (o.ok) return Ok{};
  const std::string where =
      "shard " + std::to_string(o.shard) + " of fleet " + std::string(fleet) + ": ";
  if (!o.record) {
    return MakeError(ErrorCode::kFailedPrecondition, where + "the shard was never acquired");
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   where + "the lease changed since it was seen (token " + std::to_string(token) +
                       ", now " + std::to_string(o.record->token) + "); not revoked");
}

}  // namespace agentfleet::sources::lease
