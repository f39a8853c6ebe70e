#include "controller/sources/lease/lease_store.h"

#include <algorithm>

namespace agentfleet::sources::lease {
namespace {

template <typename T>
Result<T> Single(Result<std::vector<Result<T>>> batch) {
  if (!batch.ok()) return batch.error();
  if (batch->size() != 1) return MakeError(ErrorCode::kInternal, "lease store: batch of one lost");
  return std::move(batch->front());
}

Status ValidateName(std::string_view what, std::string_view s) {
  if (s.empty()) return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is empty");
  if (s.size() > 512) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is over 512 bytes");
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(what) + " contains a control character");
    }
  }
  return Ok{};
}

}  // namespace

const LeaseRecord* LeaseSnapshot::Valid(uint32_t shard) const {
  auto it = std::lower_bound(records.begin(), records.end(), shard,
                             [](const LeaseRecord& r, uint32_t s) { return r.shard < s; });
  if (it == records.end() || it->shard != shard || !it->ValidAt(now_ms)) return nullptr;
  return &*it;
}

Result<Lease> LeaseStore::Acquire(std::string_view fleet, uint32_t shard, std::string_view holder,
                                  Millis ttl) {
  return Single(AcquireMany(fleet, {shard}, holder, ttl));
}

Result<Lease> LeaseStore::Renew(std::string_view fleet, uint32_t shard, std::string_view holder,
                                int64_t token, Millis ttl) {
  return Single(RenewMany(fleet, {{shard, token}}, holder, ttl));
}

Status LeaseStore::Release(std::string_view fleet, uint32_t shard, std::string_view holder,
                           int64_t token) {
  return Single(ReleaseMany(fleet, {{shard, token}}, holder));
}

Status ValidateFleet(std::string_view fleet) {
  return ValidateName("fleet", fleet);
}
Status ValidateHolder(std::string_view holder) {
  return ValidateName("holder", holder);
}

Status ValidateTtl(Millis ttl) {
  if (ttl.count() <= 0) return MakeError(ErrorCode::kInvalidArgument, "lease TTL must be positive");
  return Ok{};
}

Status ValidateDistinct(std::vector<uint32_t> shards) {
  std::sort(shards.begin(), shards.end());
  auto dup = std::adjacent_find(shards.begin(), shards.end());
  if (dup != shards.end()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "shard " + std::to_string(*dup) + " appears twice in one batch");
  }
  return Ok{};
}

}  // namespace agentfleet::sources::lease
