#pragma once

// Turns a store's per-shard answer into a Lease or an Error that says why,
// the same way for every store. Internal to the lease stores.

#include <optional>
#include <string_view>

#include "controller/sources/lease/lease_store.h"

namespace agentfleet::sources::lease {

enum class Op { kAcquire, kRenew, kRelease };

struct Outcome {
  uint32_t shard = 0;
  bool ok = false;
  // After success: the new lease. After failure: the record that stood in the
  // way as the store saw it (nullopt: the shard has no record).
  std::optional<LeaseRecord> record;
  int64_t now_ms = 0;
};

// `token` is the one presented (renew/release); unused for acquire.
Result<Lease> ToLease(Op op, std::string_view fleet, std::string_view holder, int64_t token,
                      const Outcome& outcome);

// A revoke's answer: Ok, or why the lease seen (`token`) was not revoked.
Status ToRevoked(std::string_view fleet, int64_t token, const Outcome& outcome);

}  // namespace agentfleet::sources::lease
