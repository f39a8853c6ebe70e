#pragma once

// The fenced result store: the latest price of every product, each with the
// fencing token of the lease under which it was written.
//
// The fencing rule: a write to shard s carrying token t is accepted only if t
// is at least the highest token the store has accepted for s (its high-water
// mark); accepting it raises the mark to t. A holder that lost its lease (its
// token is older than a successor's) is rejected as soon as the successor has
// written once, even if it never noticed it lost the lease. Equal tokens are
// accepted: one holder writes many times under one lease.
//
// The check and the write are one atomic step (a Lua script in Redis, one
// statement under the fence row's lock in PostgreSQL), all or nothing per call.
// The store trusts the caller to put only products of shard s in a write to s
// (protocol::ShardOf); it does not know the fleet's shard count.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::agent::results {

struct PriceWrite {
  std::string product;
  int64_t price = 0;  // minor currency units (cents): exact, no float rounding
};

struct StoredPrice {
  std::string product;
  uint32_t shard = 0;
  int64_t price = 0;
  int64_t token = 0;
  bool operator==(const StoredPrice&) const = default;
};

class ResultStore {
 public:
  virtual ~ResultStore() = default;
  // kFailedPrecondition (naming the high-water mark) when fenced off;
  // kInvalidArgument for an empty batch, a duplicate product or token < 1.
  virtual Status Write(std::string_view fleet, uint32_t shard, int64_t token,
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
