#pragma once

// Fake queue sources and an in-memory lease store behind the reconciler's
// SourceFactory seam. The lease store keeps the semantics of
// sources/lease/lease_store.h (tokens strictly increasing per shard, acquire
// only when free, expired or already held, renew and release only by the
// holder with its token) on the time of an injected clock, so that tests can
// play the agents. Faults are set per operation and stay until cleared.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/clock.h"
#include "controller/fleet/reconciler/sources.h"

namespace agentfleet::testing {

class FakeLeaseStore final : public sources::lease::LeaseStore {
 public:
  // The store's clock is `clock`'s wall time, in milliseconds.
  explicit FakeLeaseStore(const Clock& clock) : clock_(clock) {}

  Result<std::vector<Result<sources::lease::Lease>>> AcquireMany(
      std::string_view fleet, const std::vector<uint32_t>& shards, std::string_view holder,
      sources::lease::Millis ttl) override;
  Result<std::vector<Result<sources::lease::Lease>>> RenewMany(
      std::string_view fleet, const std::vector<sources::lease::ShardToken>& leases,
      std::string_view holder, sources::lease::Millis ttl) override;
  Result<std::vector<Status>> ReleaseMany(std::string_view fleet,
                                          const std::vector<sources::lease::ShardToken>& leases,
                                          std::string_view holder) override;
  Result<std::vector<Status>> RevokeMany(
      std::string_view fleet, const std::vector<sources::lease::ShardToken>& leases) override;
  Result<sources::lease::LeaseSnapshot> Snapshot(std::string_view fleet) override;
  Status DeleteFleet(std::string_view fleet) override;
  Result<std::vector<bool>> PublishAssignments(
      std::string_view fleet,
      const std::vector<sources::lease::PublishedAssignment>& assignments) override;
  Status RemoveAssignments(std::string_view fleet,
                           const std::vector<sources::lease::PodGeneration>& pods) override;
  Result<std::vector<sources::lease::PublishedAssignment>> ListAssignments(
      std::string_view fleet) override;
  Result<std::optional<sources::lease::PublishedAssignment>> ReadAssignment(
      std::string_view fleet, std::string_view pod) override;
  int revokes() const;  // RevokeMany calls
  // Published assignments: pod -> record.
  std::map<std::string, sources::lease::PublishedAssignment> Published(
      std::string_view fleet) const;
  // Publish and remove calls (the writes), and ListAssignments calls.
  int assignment_writes() const;
  int assignment_lists() const;
  void FailAssignments(std::optional<Error> error);  // every assignment call

  // Test conveniences: take or drop shards as `holder` without tokens.
  void Hold(std::string_view fleet, const std::vector<uint32_t>& shards, std::string_view holder,
            sources::lease::Millis ttl = std::chrono::seconds(15));
  void ReleaseAll(std::string_view fleet, std::string_view holder);
  void Drop(std::string_view fleet, const std::vector<uint32_t>& shards, std::string_view holder);
  // Every valid lease of the fleet: shard -> holder.
  std::map<uint32_t, std::string> Holders(std::string_view fleet) const;

  void FailSnapshots(std::optional<Error> error);
  void FailDeletes(std::optional<Error> error);
  int snapshots() const;
  int deletes() const;

 private:
  int64_t NowMs() const;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<uint32_t, sources::lease::LeaseRecord>, std::less<>> fleets_;
  std::map<std::string, std::map<std::string, sources::lease::PublishedAssignment>, std::less<>>
      published_;
  std::optional<Error> snapshot_error_, delete_error_, assignment_error_;
  int snapshots_ = 0, deletes_ = 0, revokes_ = 0, assignment_writes_ = 0, assignment_lists_ = 0;
};

// What the fake queue source reads, shared by every source the factory made.
class FakeQueue {
 public:
  void SetDepth(int64_t depth);
  void Fail(Error error);  // every read fails until SetDepth
  Result<int64_t> depth() const;
  int reads() const;
  void CountRead();

 private:
  mutable std::mutex mu_;
  Result<int64_t> depth_ = int64_t{0};
  int reads_ = 0;
};

class FakeSourceFactory final : public fleet::reconciler::SourceFactory {
 public:
  explicit FakeSourceFactory(const Clock& clock)
      : queue_(std::make_shared<FakeQueue>()), leases_(std::make_shared<FakeLeaseStore>(clock)) {}

  Result<std::unique_ptr<sources::queue::QueueSource>> MakeQueue(
      sources::queue::QueueSourceConfig config) override;
  Result<std::unique_ptr<sources::lease::LeaseStore>> OpenLeases(
      const sources::lease::StoreConfig& config) override;

  FakeQueue& queue() { return *queue_; }
  FakeLeaseStore& leases() { return *leases_; }
  // Opening fails with `error` until cleared (nullopt).
  void FailQueueOpen(std::optional<Error> error);
  void FailLeaseOpen(std::optional<Error> error);
  int queue_opens() const;
  int lease_opens() const;
  // The configuration of the last queue and lease store opened.
  std::optional<sources::queue::QueueSourceConfig> last_queue_config() const;
  std::optional<sources::lease::StoreConfig> last_lease_config() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<FakeQueue> queue_;
  std::shared_ptr<FakeLeaseStore> leases_;
  std::optional<Error> queue_open_error_, lease_open_error_;
  int queue_opens_ = 0, lease_opens_ = 0;
  std::optional<sources::queue::QueueSourceConfig> queue_config_;
  std::optional<sources::lease::StoreConfig> lease_config_;
};

}  // namespace agentfleet::testing
