#include "controller/sources/lease/lease_store.h"

#include <algorithm>
#include <charconv>
#include <set>

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

namespace {

constexpr int64_t kMaxGeneration = (int64_t{1} << 53) - 1;
constexpr size_t kMaxShardsText = 1 << 20;

Status ValidateGeneration(std::string_view pod, int64_t generation) {
  if (generation < 1 || generation > kMaxGeneration) {
    return MakeError(ErrorCode::kInvalidArgument, "pod " + std::string(pod) + ": generation " +
                                                      std::to_string(generation) +
                                                      " is outside 1 to 2^53 - 1");
  }
  return Ok{};
}

Status ValidateUniquePods(const std::vector<std::string_view>& pods) {
  std::set<std::string_view> seen;
  for (std::string_view pod : pods) {
    if (auto s = ValidatePod(pod); !s.ok()) return s;
    if (!seen.insert(pod).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "pod " + std::string(pod) + " appears twice in one batch");
    }
  }
  return Ok{};
}

}  // namespace

Status ValidatePod(std::string_view pod) {
  return ValidateName("pod", pod);
}

Status ValidateAssignments(const std::vector<PublishedAssignment>& assignments) {
  std::vector<std::string_view> pods;
  for (const auto& a : assignments) {
    pods.push_back(a.pod);
    if (auto s = ValidateGeneration(a.pod, a.generation); !s.ok()) return s;
    if (a.shards.size() > kMaxShardsText ||
        a.shards.find_first_not_of("0123456789,-") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "pod " + a.pod + ": shards must be compact ranges (digits, ',' and '-')");
    }
  }
  return ValidateUniquePods(pods);
}

Status ValidatePodGenerations(const std::vector<PodGeneration>& pods) {
  std::vector<std::string_view> names;
  for (const auto& p : pods) {
    names.push_back(p.pod);
    if (auto s = ValidateGeneration(p.pod, p.generation); !s.ok()) return s;
  }
  return ValidateUniquePods(names);
}

std::string EncodeAssignment(int64_t generation, std::string_view shards) {
  return std::to_string(generation) + " " + std::string(shards);
}

std::optional<std::pair<int64_t, std::string>> DecodeAssignment(std::string_view value) {
  const size_t space = value.find(' ');
  if (space == std::string_view::npos || space == 0) return std::nullopt;
  int64_t generation = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + space, generation);
  if (ec != std::errc() || end != value.data() + space || generation < 1) return std::nullopt;
  return std::make_pair(generation, std::string(value.substr(space + 1)));
}

}  // namespace agentfleet::sources::lease
