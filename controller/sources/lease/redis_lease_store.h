#pragma once

// The lease table in Redis: one hash per fleet, `<prefix>lease:{<fleet>}`,
// field = shard (decimal), value = "<token> <expires_at_ms> <holder>" (holder
// empty once released; the row stays so the token keeps counting). Every
// mutation is one Lua script using the server's TIME; the snapshot is
// MULTI/TIME/HGETALL/EXEC in one round trip. The braces make the fleet a hash
// tag, so a fleet's keys live on one Redis Cluster slot. Published
// assignments are a second hash of the fleet, `<prefix>assignment:{<fleet>}`,
// field = pod, value = "<generation> <shards>", written by a Lua script that
// never lowers a pod's generation.

#include <memory>
#include <mutex>
#include <string>

#include "controller/sources/lease/lease_store.h"
#include "controller/sources/redis/client.h"

namespace agentfleet::sources::lease {

class RedisLeaseStore final : public LeaseStore {
 public:
  static Result<std::unique_ptr<RedisLeaseStore>> Connect(const redis::Options& options,
                                                          std::string key_prefix = "agentfleet:");
  RedisLeaseStore(std::unique_ptr<redis::Client> client, std::string key_prefix);

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

  std::string Key(std::string_view fleet) const;
  std::string AssignmentKey(std::string_view fleet) const;

 private:
  Result<redis::Reply> Run(const redis::Script& script, std::string_view fleet,
                           std::vector<std::string> args);
  Result<redis::Reply> RunOnAssignments(const redis::Script& script, std::string_view fleet,
                                        std::vector<std::string> args);

  std::mutex mu_;
  std::unique_ptr<redis::Client> client_;
  std::string prefix_;
};

}  // namespace agentfleet::sources::lease
