#pragma once

// The control loop of the agent: applies new assignments, acquires the
// leases of assigned shards it does not hold (one batch per tick; a shard
// held elsewhere is tried again next tick — the hand-off), renews every held
// lease every third of the lease duration (one batch), drains shards that left
// the assignment and releases them once their in-flight batch is done, and
// forgets a lease the moment it is lost. On Shutdown it releases everything.
// A newly acquired lease raises its shard's fence in the result store before
// the shard is worked on: a predecessor whose lease the store expired early
// (its clock stepped forward) is fenced off at once.
// Every tick it also reads the assignment the operator published for its pod
// in the lease store (docs/protocol.md §3), so that a hand-off does not wait
// for the kubelet to refresh the downward-API file: the box keeps whichever
// of the two sources has the higher generation.

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "controller/obs/log.h"
#include "controller/sources/lease/lease_store.h"
#include "examples/agent/agent_metrics.h"
#include "examples/agent/assignment_source.h"
#include "examples/agent/results/result_store.h"
#include "examples/agent/shard_table.h"

namespace agentfleet::agent {

struct LeaseLoopConfig {
  std::string fleet;
  std::string holder;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds tick{1'000};
  // The pod whose published assignment is read every tick; empty: none is.
  std::string pod;
  uint32_t shard_count = 0;  // S, to parse the published shards strictly
};

class LeaseLoop {
 public:
  // `fences` (its own connection: the worker writes through another) raises
  // each acquired shard's fence to the new token before the shard is worked
  // on; null only in tests of the loop alone.
  LeaseLoop(LeaseLoopConfig config, std::unique_ptr<sources::lease::LeaseStore> store,
            std::unique_ptr<results::ResultStore> fences, ShardTable& table, AssignmentBox& box,
            AgentMetrics& metrics, obs::Logger log);

  // One pass; called every few tens of milliseconds.
  void Step(SteadyTime now);
  // Releases every held lease (after the worker stopped).
  void ReleaseAll();

  // The end of this agent's trust in a lease renewed (or acquired) by a
  // request sent at `sent`: the store's expiry is at least sent + duration
  // (its clock started counting after we sent); a tenth is kept as margin
  // against clock-rate differences, so the agent stops first.
  SteadyTime ValidUntil(SteadyTime sent) const;
  // Monotonic time of the last completed Step, for /healthz.
  SteadyTime last_step() const {
    return SteadyTime(std::chrono::nanoseconds(last_step_ns_.load()));
  }

 private:
  void ReadPublished(SteadyTime now);
  void ApplyAssignment();
  void Renew(SteadyTime now);
  void Acquire(const std::vector<uint32_t>& shards);
  // The number of leases the store released.
  int Release(const std::vector<ActiveShard>& shards, const char* why);

  LeaseLoopConfig config_;
  std::unique_ptr<sources::lease::LeaseStore> store_;
  std::unique_ptr<results::ResultStore> fences_;
  ShardTable& table_;
  AssignmentBox& box_;
  AgentMetrics& metrics_;
  obs::Logger log_;

  bool applied_any_ = false;
  int64_t applied_generation_ = 0;
  std::vector<uint32_t> desired_;
  bool desired_changed_ = false;
  // Shards found held by another agent, not acquired since: acquiring one is
  // a hand-off in.
  std::set<uint32_t> waited_;
  SteadyTime next_renew_{};
  SteadyTime next_acquire_{};
  SteadyTime next_read_{};
  std::string read_problem_;  // the last one logged, so that each is logged once
  std::atomic<int64_t> last_step_ns_{0};
};

}  // namespace agentfleet::agent
