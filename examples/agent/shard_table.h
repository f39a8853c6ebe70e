#pragma once

// The shards this agent holds, shared by the lease loop (which acquires,
// renews, drains and releases) and the task worker (which takes tasks only of
// shards that are active and still valid here). Thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "examples/agent/shard_plan.h"

namespace agentfleet::agent {

using SteadyTime = std::chrono::steady_clock::time_point;

struct HeldLease {
  int64_t token = 0;
  // When this agent stops trusting the lease without a successful renew:
  // before the store's expiry (see LeaseKeeper), so the agent stops working
  // before anyone else can acquire.
  SteadyTime valid_until{};
  ShardPhase phase = ShardPhase::kActive;
  int in_flight = 0;
};

struct ActiveShard {
  uint32_t shard = 0;
  int64_t token = 0;
};

class ShardTable {
 public:
  // Lease loop side.
  void Add(uint32_t shard, int64_t token, SteadyTime valid_until);
  // Extends the validity of a lease still held under `token`.
  void Extend(uint32_t shard, int64_t token, SteadyTime valid_until);
  void SetPhase(uint32_t shard, ShardPhase phase);
  // Removes and returns the shards among `shards` that are draining and idle.
  std::vector<ActiveShard> TakeIdleDraining(const std::vector<uint32_t>& shards);
  // Removes every shard whose validity ended; returns them.
  std::vector<ActiveShard> RemoveExpired(SteadyTime now);
  // Removes everything (shutdown); returns what was held.
  std::vector<ActiveShard> TakeAll();
  std::map<uint32_t, HeldShard> View() const;
  std::vector<ActiveShard> Held() const;
  size_t size() const;

  // Worker side.
  std::vector<ActiveShard> Active(SteadyTime now) const;
  // Starts a batch when the shard is active, held under `token` and valid.
  bool BeginBatch(uint32_t shard, int64_t token, SteadyTime now);
  void EndBatch(uint32_t shard, int64_t token);
  bool StillValid(uint32_t shard, int64_t token, SteadyTime now) const;
  // The lease under `token` was lost (fenced write, failed renew): forget it now.
  bool MarkLost(uint32_t shard, int64_t token);

 private:
  mutable std::mutex mu_;
  std::map<uint32_t, HeldLease> held_;
};

}  // namespace agentfleet::agent
