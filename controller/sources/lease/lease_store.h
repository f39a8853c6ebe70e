#pragma once

// The lease table: who holds which shard of a fleet, with a fencing token.
// The semantics every store implements (see docs/protocol.md):
//
// - One record per (fleet, shard): holder, token, expiry.
// - Acquire succeeds when the shard is free (never acquired, or released), its
//   lease has expired, or the caller already holds it; it issues a new token,
//   strictly greater than every token issued before for that shard. Otherwise
//   kFailedPrecondition naming the holder.
// - Renew extends an unexpired lease; Release frees one (expired or not). Both
//   only for the holder presenting the current token: a stale token, another
//   holder, an expired lease (Renew) give kFailedPrecondition.
// - Every time is the STORE's clock (Redis TIME, PostgreSQL now()), never the
//   caller's: expiry is decided in one place. Times are milliseconds since the
//   Unix epoch on that clock.
// - A token is max(previous token + 1, store clock in microseconds), so tokens
//   also keep increasing across a loss of the table (a Redis restart without
//   persistence, DeleteFleet), as long as the store's clock does not step back.
//
// Batch operations take one round trip and report per shard; the outer Result
// fails only for transport or input errors. Holder names must identify one
// process incarnation (e.g. pod name + uid): acquire by the same holder
// re-issues the lease with a new token, fencing off an earlier incarnation.
//
// Implementations are safe to share between threads.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::sources::lease {

using Millis = std::chrono::milliseconds;

// A lease as granted to its holder.
struct Lease {
  uint32_t shard = 0;
  int64_t token = 0;
  int64_t expires_at_ms = 0;  // store clock
  bool operator==(const Lease&) const = default;
};

// A row of the table as the operator sees it.
struct LeaseRecord {
  uint32_t shard = 0;
  std::string holder;  // empty once released
  int64_t token = 0;   // the last token issued for the shard
  int64_t expires_at_ms = 0;
  bool ValidAt(int64_t now_ms) const { return !holder.empty() && expires_at_ms > now_ms; }
  bool operator==(const LeaseRecord&) const = default;
};

// The whole table of a fleet at one instant of the store's clock.
struct LeaseSnapshot {
  int64_t now_ms = 0;
  std::vector<LeaseRecord> records;  // ascending by shard; free and expired rows included

  // The record of `shard` if it holds a valid lease at now_ms, else nullptr.
  const LeaseRecord* Valid(uint32_t shard) const;
};

struct ShardToken {
  uint32_t shard = 0;
  int64_t token = 0;
};

// A pod's assignment as the operator published it beside the lease table: a
// copy of the pod's annotations that its agent reads on its lease round trips
// instead of waiting for the kubelet to refresh the downward-API file. The
// annotations stay the declarative record; this is the fast path.
struct PublishedAssignment {
  std::string pod;
  int64_t generation = 0;  // agentfleet.io/assignment-generation, 1 to 2^53 - 1
  std::string shards;      // agentfleet.io/shards, compact ranges; empty = none
  bool operator==(const PublishedAssignment&) const = default;
};

struct PodGeneration {
  std::string pod;
  int64_t generation = 0;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  virtual Result<std::vector<Result<Lease>>> AcquireMany(std::string_view fleet,
                                                         const std::vector<uint32_t>& shards,
                                                         std::string_view holder, Millis ttl) = 0;
  virtual Result<std::vector<Result<Lease>>> RenewMany(std::string_view fleet,
                                                       const std::vector<ShardToken>& leases,
                                                       std::string_view holder, Millis ttl) = 0;
  virtual Result<std::vector<Status>> ReleaseMany(std::string_view fleet,
                                                  const std::vector<ShardToken>& leases,
                                                  std::string_view holder) = 0;
  // Frees each lease if it is still the one seen (the same token), whoever
  // holds it, and bumps its token so that its holder can neither renew nor
  // release it: the operator's answer to a holder that is no pod of the
  // fleet. kFailedPrecondition per shard for a lease that changed since.
  virtual Result<std::vector<Status>> RevokeMany(std::string_view fleet,
                                                 const std::vector<ShardToken>& leases) = 0;
  // One round trip, one consistent instant, whatever the number of shards.
  virtual Result<LeaseSnapshot> Snapshot(std::string_view fleet) = 0;
  // Removes every record of the fleet: leases and published assignments.
  virtual Status DeleteFleet(std::string_view fleet) = 0;

  // Published assignments (docs/protocol.md §3, "Published assignments").
  // Writes each record unless the pod's stored one has a generation at least
  // as high (the annotation rule: a generation never goes back), in one round
  // trip; per record, whether it was written.
  virtual Result<std::vector<bool>> PublishAssignments(
      std::string_view fleet, const std::vector<PublishedAssignment>& assignments) = 0;
  // Removes each pod's record if its generation is at most the one given, so
  // that a record published since (a new pod of the same name) stays.
  virtual Status RemoveAssignments(std::string_view fleet,
                                   const std::vector<PodGeneration>& pods) = 0;
  // Every published record of the fleet, by pod name. A record the store
  // cannot parse is listed with generation 0, so that any publish replaces it.
  virtual Result<std::vector<PublishedAssignment>> ListAssignments(std::string_view fleet) = 0;
  // The pod's record; nullopt when there is none. An unparsable record is
  // kInternal naming the pod.
  virtual Result<std::optional<PublishedAssignment>> ReadAssignment(std::string_view fleet,
                                                                    std::string_view pod) = 0;

  // Single-shard forms of the batch operations.
  Result<Lease> Acquire(std::string_view fleet, uint32_t shard, std::string_view holder,
                        Millis ttl);
  Result<Lease> Renew(std::string_view fleet, uint32_t shard, std::string_view holder,
                      int64_t token, Millis ttl);
  Status Release(std::string_view fleet, uint32_t shard, std::string_view holder, int64_t token);
};

// Input checks shared by the stores: a non-empty fleet and holder without
// control characters, a positive TTL, no shard twice in one batch.
Status ValidateFleet(std::string_view fleet);
Status ValidateHolder(std::string_view holder);
Status ValidateTtl(Millis ttl);
Status ValidateDistinct(std::vector<uint32_t> shards);
// A published record: a pod name like a holder's, a generation from 1 to
// 2^53 - 1 (Lua and JavaScript numbers hold it), shards of digits, ',' and
// '-' only (the agent parses them strictly against its shard count), no pod
// twice in one batch.
Status ValidateAssignments(const std::vector<PublishedAssignment>& assignments);
Status ValidatePodGenerations(const std::vector<PodGeneration>& pods);
Status ValidatePod(std::string_view pod);
// "<generation> <shards>", the stored value in Redis; nullopt if malformed.
std::string EncodeAssignment(int64_t generation, std::string_view shards);
std::optional<std::pair<int64_t, std::string>> DecodeAssignment(std::string_view value);

}  // namespace agentfleet::sources::lease
