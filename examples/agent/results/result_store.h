#pragma once

// The fenced result store: the latest price of every product, each with the
// fencing token of the lease under which it was written and the version of
// the task it comes from.
//
// The fencing rule: a write to shard s carrying token t is accepted only if t
// is at least the highest token the store has accepted for s (its high-water
// mark); accepting it raises the mark to t. A holder that lost its lease (its
// token is older than a successor's) is rejected as soon as the successor has
// written once, even if it never noticed it lost the lease. Equal tokens are
// accepted: one holder writes many times under one lease.
//
// The newest-task rule, per product, inside an accepted write: a product's
// price is replaced only by a task whose version (task_version.h) is at least
// the stored one's. An older task's price is skipped, silently for the batch:
// the write still succeeds, its other products are written, and the caller
// learns how many were skipped (WriteOutcome). Skipping is not an error
// because it is the expected end of a reordering (a crash hand-off claims the
// dead owner's pending tasks only after --claim-min-idle, by when newer tasks
// of the same products may have been priced) and the task is done: the
// caller acknowledges it like the others. An equal version is the same task
// delivered again (at least once) and is written again. A price stored
// without a version (before versions existed) counts as version (0, 0).
//
// Both checks and the writes are one atomic step (a Lua script in Redis, one
// statement under the fence row's lock in PostgreSQL); the fence is all or
// nothing per call, the version check is per product.
// The store trusts the caller to put only products of shard s in a write to s
// (protocol::ShardOf); it does not know the fleet's shard count.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "examples/agent/results/task_version.h"

namespace agentfleet::agent::results {

struct PriceWrite {
  std::string product;
  int64_t price = 0;    // minor currency units (cents): exact, no float rounding
  TaskVersion version;  // of the task the price comes from
};

struct StoredPrice {
  std::string product;
  uint32_t shard = 0;
  int64_t price = 0;
  int64_t token = 0;
  TaskVersion version;
  bool operator==(const StoredPrice&) const = default;
};

struct WriteOutcome {
  // Prices not written because the store holds a newer task's for the product.
  size_t superseded = 0;
};

class ResultStore {
 public:
  virtual ~ResultStore() = default;
  // kFailedPrecondition (naming the high-water mark) when fenced off;
  // kInvalidArgument for an empty batch, a duplicate product, token < 1 or a
  // negative version part.
  virtual Result<WriteOutcome> Write(std::string_view fleet, uint32_t shard, int64_t token,
                                     const std::vector<PriceWrite>& prices) = 0;
  virtual Result<std::optional<StoredPrice>> Get(std::string_view fleet,
                                                 std::string_view product) = 0;
  // Raises the shard's high-water mark to `token` if it is lower (never
  // lowers it), writing nothing else: done as a lease is acquired, so that
  // older tokens are fenced off before the new holder's first write.
  // kInvalidArgument for token < 1.
  virtual Status RaiseFence(std::string_view fleet, uint32_t shard, int64_t token) = 0;
  // The highest token accepted for the shard; 0 if none.
  virtual Result<int64_t> HighWater(std::string_view fleet, uint32_t shard) = 0;
  virtual Status DeleteFleet(std::string_view fleet) = 0;
};

// Shared input checks.
Status ValidateFence(std::string_view fleet, int64_t token);
Status ValidateWrite(std::string_view fleet, int64_t token, const std::vector<PriceWrite>& prices);

}  // namespace agentfleet::agent::results
