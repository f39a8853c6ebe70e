#pragma once

// The lease table in PostgreSQL: table shard_leases (see pg_schema.h), one row
// per (fleet, shard), kept after release so the token keeps counting. Each
// operation is ONE statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE, or
// UPDATE ... WHERE) whose conditions are checked against the latest committed
// row under its row lock, with the server's now(); a batch takes one round
// trip and locks rows in shard order, so concurrent batches do not deadlock.
// Published assignments live in shard_assignments, one row per (fleet, pod),
// written by an INSERT ... ON CONFLICT DO UPDATE ... WHERE generation < new.

#include <memory>
#include <mutex>

#include "controller/sources/lease/lease_store.h"
#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::sources::lease {

struct Outcome;

class PgLeaseStore final : public LeaseStore {
 public:
  // Connects and runs the idempotent migration.
  static Result<std::unique_ptr<PgLeaseStore>> Connect(const PgOptions& options);
  explicit PgLeaseStore(std::unique_ptr<PgConnection> db);

  Result<std::vector<Result<Lease>>> AcquireMany(std::string_view fleet,
                                                 const std::vector<uint32_t>& shards,
                                                 std::string_view holder, Millis ttl) override;
  Result<std::vector<Result<Lease>>> RenewMany(std::string_view fleet,
                                               const std::vector<ShardToken>& leases,
                                               std::string_view holder, Millis ttl) override;
  Result<std::vector<Status>> ReleaseMany(std::string_view fleet,
                                          const std::vector<ShardToken>& leases,
                                          std::string_view holder) override;
  Result<std::vector<Status>> RevokeMany(std::string_view fleet,
                                         const std::vector<ShardToken>& leases) override;
  Result<LeaseSnapshot> Snapshot(std::string_view fleet) override;
  Status DeleteFleet(std::string_view fleet) override;
  Result<std::vector<bool>> PublishAssignments(
      std::string_view fleet, const std::vector<PublishedAssignment>& assignments) override;
  Status RemoveAssignments(std::string_view fleet, const std::vector<PodGeneration>& pods) override;
  Result<std::vector<PublishedAssignment>> ListAssignments(std::string_view fleet) override;
  Result<std::optional<PublishedAssignment>> ReadAssignment(std::string_view fleet,
                                                            std::string_view pod) override;

 private:
  Result<std::vector<Outcome>> Mutate(std::string_view sql, const PgParams& params,
                                      const std::vector<uint32_t>& shards);
  Result<PgRows> Exec(std::string_view sql, const PgParams& params);

  std::mutex mu_;
  std::unique_ptr<PgConnection> db_;
};

}  // namespace agentfleet::sources::lease
