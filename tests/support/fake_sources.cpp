#include "tests/support/fake_sources.h"

#include <algorithm>

namespace agentfleet::testing {

namespace lease = sources::lease;
namespace queue = sources::queue;

namespace {

class FakeQueueSource final : public queue::QueueSource {
 public:
  explicit FakeQueueSource(std::shared_ptr<FakeQueue> state) : state_(std::move(state)) {}
  Result<queue::QueueDepth> ReadDepth() override {
    state_->CountRead();
    auto d = state_->depth();
    if (!d) return d.error();
    return queue::QueueDepth{*d, {}};
  }
  std::string Describe() const override { return "fake queue"; }

 private:
  std::shared_ptr<FakeQueue> state_;
};

// The reconciler owns what the factory returns; the test keeps the store.
class SharedLeaseStore final : public lease::LeaseStore {
 public:
  explicit SharedLeaseStore(std::shared_ptr<FakeLeaseStore> store) : store_(std::move(store)) {}
  Result<std::vector<Result<lease::Lease>>> AcquireMany(std::string_view fleet,
                                                        const std::vector<uint32_t>& shards,
                                                        std::string_view holder,
                                                        lease::Millis ttl) override {
    return store_->AcquireMany(fleet, shards, holder, ttl);
  }
  Result<std::vector<Result<lease::Lease>>> RenewMany(std::string_view fleet,
                                                      const std::vector<lease::ShardToken>& leases,
                                                      std::string_view holder,
                                                      lease::Millis ttl) override {
    return store_->RenewMany(fleet, leases, holder, ttl);
  }
  Result<std::vector<Status>> ReleaseMany(std::string_view fleet,
                                          const std::vector<lease::ShardToken>& leases,
                                          std::string_view holder) override {
    return store_->ReleaseMany(fleet, leases, holder);
  }
  Result<std::vector<Status>> RevokeMany(std::string_view fleet,
                                         const std::vector<lease::ShardToken>& leases) override {
    return store_->RevokeMany(fleet, leases);
  }
  Result<lease::LeaseSnapshot> Snapshot(std::string_view fleet) override {
    return store_->Snapshot(fleet);
  }
  Status DeleteFleet(std::string_view fleet) override { return store_->DeleteFleet(fleet); }
  Result<std::vector<bool>> PublishAssignments(
      std::string_view fleet, const std::vector<lease::PublishedAssignment>& a) override {
    return store_->PublishAssignments(fleet, a);
  }
  Status RemoveAssignments(std::string_view fleet,
                           const std::vector<lease::PodGeneration>& pods) override {
    return store_->RemoveAssignments(fleet, pods);
  }
  Result<std::vector<lease::PublishedAssignment>> ListAssignments(std::string_view fleet) override {
    return store_->ListAssignments(fleet);
  }
  Result<std::optional<lease::PublishedAssignment>> ReadAssignment(std::string_view fleet,
                                                                   std::string_view pod) override {
    return store_->ReadAssignment(fleet, pod);
  }

 private:
  std::shared_ptr<FakeLeaseStore> store_;
};

Error Held(uint32_t shard, const std::string& holder) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   "shard " + std::to_string(shard) + " is held by " + holder);
}

}  // namespace

int64_t FakeLeaseStore::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.WallNow().time_since_epoch())
      .count();
}

Result<std::vector<Result<lease::Lease>>> FakeLeaseStore::AcquireMany(
    std::string_view fleet, const std::vector<uint32_t>& shards, std::string_view holder,
    lease::Millis ttl) {
  if (auto s = lease::ValidateHolder(holder); !s) return s.error();
  if (auto s = lease::ValidateTtl(ttl); !s) return s.error();
  std::lock_guard lock(mu_);
  const int64_t now = NowMs();
  auto& table = fleets_[std::string(fleet)];
  std::vector<Result<lease::Lease>> out;
  for (uint32_t shard : shards) {
    lease::LeaseRecord& r = table[shard];
    r.shard = shard;
    if (r.ValidAt(now) && r.holder != holder) {
      out.emplace_back(Held(shard, r.holder));
      continue;
    }
    r.token = std::max(r.token + 1, now * 1000);
    r.holder = std::string(holder);
    r.expires_at_ms = now + ttl.count();
    out.emplace_back(lease::Lease{shard, r.token, r.expires_at_ms});
  }
  return out;
}

Result<std::vector<Result<lease::Lease>>> FakeLeaseStore::RenewMany(
    std::string_view fleet, const std::vector<lease::ShardToken>& leases, std::string_view holder,
    lease::Millis ttl) {
  std::lock_guard lock(mu_);
  const int64_t now = NowMs();
  auto& table = fleets_[std::string(fleet)];
  std::vector<Result<lease::Lease>> out;
  for (const auto& l : leases) {
    auto it = table.find(l.shard);
    if (it == table.end() || it->second.holder != holder || it->second.token != l.token ||
        !it->second.ValidAt(now)) {
      out.emplace_back(MakeError(ErrorCode::kFailedPrecondition,
                                 "shard " + std::to_string(l.shard) + " is not held with token " +
                                     std::to_string(l.token)));
      continue;
    }
    it->second.expires_at_ms = now + ttl.count();
    out.emplace_back(lease::Lease{l.shard, l.token, it->second.expires_at_ms});
  }
  return out;
}

Result<std::vector<Status>> FakeLeaseStore::ReleaseMany(
    std::string_view fleet, const std::vector<lease::ShardToken>& leases, std::string_view holder) {
  std::lock_guard lock(mu_);
  auto& table = fleets_[std::string(fleet)];
  std::vector<Status> out;
  for (const auto& l : leases) {
    auto it = table.find(l.shard);
    if (it == table.end() || it->second.holder != holder || it->second.token != l.token) {
      out.emplace_back(MakeError(ErrorCode::kFailedPrecondition,
                                 "shard " + std::to_string(l.shard) + " is not held with token " +
                                     std::to_string(l.token)));
      continue;
    }
    it->second.holder.clear();
    out.emplace_back(Ok{});
  }
  return out;
}

Result<std::vector<Status>> FakeLeaseStore::RevokeMany(
    std::string_view fleet, const std::vector<lease::ShardToken>& leases) {
  std::lock_guard lock(mu_);
  ++revokes_;
  auto& table = fleets_[std::string(fleet)];
  std::vector<Status> out;
  for (const auto& l : leases) {
    auto it = table.find(l.shard);
    if (it == table.end() || it->second.token != l.token) {
      out.emplace_back(MakeError(ErrorCode::kFailedPrecondition,
                                 "shard " + std::to_string(l.shard) +
                                     ": the lease changed since it was seen; not revoked"));
      continue;
    }
    it->second.holder.clear();
    it->second.expires_at_ms = 0;
    ++it->second.token;
    out.emplace_back(Ok{});
  }
  return out;
}

int FakeLeaseStore::revokes() const {
  std::lock_guard lock(mu_);
  return revokes_;
}

Result<lease::LeaseSnapshot> FakeLeaseStore::Snapshot(std::string_view fleet) {
  std::lock_guard lock(mu_);
  ++snapshots_;
  if (snapshot_error_) return *snapshot_error_;
  lease::LeaseSnapshot s;
  s.now_ms = NowMs();
  if (auto it = fleets_.find(fleet); it != fleets_.end()) {
    for (const auto& [shard, record] : it->second) s.records.push_back(record);
  }
  return s;
}

Status FakeLeaseStore::DeleteFleet(std::string_view fleet) {
  std::lock_guard lock(mu_);
  ++deletes_;
  if (delete_error_) return *delete_error_;
  if (auto it = fleets_.find(fleet); it != fleets_.end()) fleets_.erase(it);
  if (auto it = published_.find(fleet); it != published_.end()) published_.erase(it);
  return Ok{};
}

Result<std::vector<bool>> FakeLeaseStore::PublishAssignments(
    std::string_view fleet, const std::vector<lease::PublishedAssignment>& assignments) {
  if (auto s = lease::ValidateAssignments(assignments); !s.ok()) return s.error();
  std::lock_guard lock(mu_);
  ++assignment_writes_;
  if (assignment_error_) return *assignment_error_;
  auto& records = published_[std::string(fleet)];
  std::vector<bool> out;
  for (const auto& a : assignments) {
    auto it = records.find(a.pod);
    const bool write = it == records.end() || it->second.generation < a.generation;
    if (write) records[a.pod] = a;
    out.push_back(write);
  }
  return out;
}

Status FakeLeaseStore::RemoveAssignments(std::string_view fleet,
                                         const std::vector<lease::PodGeneration>& pods) {
  if (auto s = lease::ValidatePodGenerations(pods); !s.ok()) return s;
  std::lock_guard lock(mu_);
  ++assignment_writes_;
  if (assignment_error_) return *assignment_error_;
  auto records = published_.find(fleet);
  if (records == published_.end()) return Ok{};
  for (const auto& p : pods) {
    auto it = records->second.find(p.pod);
    if (it != records->second.end() && it->second.generation <= p.generation) {
      records->second.erase(it);
    }
  }
  return Ok{};
}

Result<std::vector<lease::PublishedAssignment>> FakeLeaseStore::ListAssignments(
    std::string_view fleet) {
  std::lock_guard lock(mu_);
  ++assignment_lists_;
  if (assignment_error_) return *assignment_error_;
  std::vector<lease::PublishedAssignment> out;
  if (auto it = published_.find(fleet); it != published_.end()) {
    for (const auto& [pod, record] : it->second) out.push_back(record);
  }
  return out;
}

Result<std::optional<lease::PublishedAssignment>> FakeLeaseStore::ReadAssignment(
    std::string_view fleet, std::string_view pod) {
  std::lock_guard lock(mu_);
  if (assignment_error_) return *assignment_error_;
  auto it = published_.find(fleet);
  if (it == published_.end()) return std::optional<lease::PublishedAssignment>{};
  auto record = it->second.find(std::string(pod));
  if (record == it->second.end()) return std::optional<lease::PublishedAssignment>{};
  return std::optional<lease::PublishedAssignment>{record->second};
}

std::map<std::string, lease::PublishedAssignment> FakeLeaseStore::Published(
    std::string_view fleet) const {
  std::lock_guard lock(mu_);
  auto it = published_.find(fleet);
  return it == published_.end() ? std::map<std::string, lease::PublishedAssignment>{} : it->second;
}

int FakeLeaseStore::assignment_writes() const {
  std::lock_guard lock(mu_);
  return assignment_writes_;
}

int FakeLeaseStore::assignment_lists() const {
  std::lock_guard lock(mu_);
  return assignment_lists_;
}

void FakeLeaseStore::FailAssignments(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  assignment_error_ = std::move(error);
}

void FakeLeaseStore::Hold(std::string_view fleet, const std::vector<uint32_t>& shards,
                          std::string_view holder, lease::Millis ttl) {
  (void)AcquireMany(fleet, shards, holder, ttl);
}

void FakeLeaseStore::Drop(std::string_view fleet, const std::vector<uint32_t>& shards,
                          std::string_view holder) {
  std::lock_guard lock(mu_);
  auto it = fleets_.find(fleet);
  if (it == fleets_.end()) return;
  for (uint32_t shard : shards) {
    auto r = it->second.find(shard);
    if (r != it->second.end() && r->second.holder == holder) r->second.holder.clear();
  }
}

void FakeLeaseStore::ReleaseAll(std::string_view fleet, std::string_view holder) {
  std::lock_guard lock(mu_);
  auto it = fleets_.find(fleet);
  if (it == fleets_.end()) return;
  for (auto& [shard, record] : it->second) {
    if (record.holder == holder) record.holder.clear();
  }
}

std::map<uint32_t, std::string> FakeLeaseStore::Holders(std::string_view fleet) const {
  std::lock_guard lock(mu_);
  std::map<uint32_t, std::string> out;
  const int64_t now = NowMs();
  if (auto it = fleets_.find(fleet); it != fleets_.end()) {
    for (const auto& [shard, record] : it->second) {
      if (record.ValidAt(now)) out[shard] = record.holder;
    }
  }
  return out;
}

void FakeLeaseStore::FailSnapshots(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  snapshot_error_ = std::move(error);
}

void FakeLeaseStore::FailDeletes(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  delete_error_ = std::move(error);
}

int FakeLeaseStore::snapshots() const {
  std::lock_guard lock(mu_);
  return snapshots_;
}

int FakeLeaseStore::deletes() const {
  std::lock_guard lock(mu_);
  return deletes_;
}

void FakeQueue::SetDepth(int64_t depth) {
  std::lock_guard lock(mu_);
  depth_ = depth;
}

void FakeQueue::Fail(Error error) {
  std::lock_guard lock(mu_);
  depth_ = std::move(error);
}

Result<int64_t> FakeQueue::depth() const {
  std::lock_guard lock(mu_);
  return depth_;
}

int FakeQueue::reads() const {
  std::lock_guard lock(mu_);
  return reads_;
}

void FakeQueue::CountRead() {
  std::lock_guard lock(mu_);
  ++reads_;
}

Result<std::unique_ptr<queue::QueueSource>> FakeSourceFactory::MakeQueue(
    queue::QueueSourceConfig config) {
  std::lock_guard lock(mu_);
  ++queue_opens_;
  queue_config_ = std::move(config);
  if (queue_open_error_) return *queue_open_error_;
  return std::unique_ptr<queue::QueueSource>(std::make_unique<FakeQueueSource>(queue_));
}

Result<std::unique_ptr<lease::LeaseStore>> FakeSourceFactory::OpenLeases(
    const lease::StoreConfig& config) {
  std::lock_guard lock(mu_);
  ++lease_opens_;
  lease_config_ = config;
  if (lease_open_error_) return *lease_open_error_;
  return std::unique_ptr<lease::LeaseStore>(std::make_unique<SharedLeaseStore>(leases_));
}

void FakeSourceFactory::FailQueueOpen(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  queue_open_error_ = std::move(error);
}

void FakeSourceFactory::FailLeaseOpen(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  lease_open_error_ = std::move(error);
}

int FakeSourceFactory::queue_opens() const {
  std::lock_guard lock(mu_);
  return queue_opens_;
}

int FakeSourceFactory::lease_opens() const {
  std::lock_guard lock(mu_);
  return lease_opens_;
}

std::optional<queue::QueueSourceConfig> FakeSourceFactory::last_queue_config() const {
  std::lock_guard lock(mu_);
  return queue_config_;
}

std::optional<lease::StoreConfig> FakeSourceFactory::last_lease_config() const {
  std::lock_guard lock(mu_);
  return lease_config_;
}

}  // namespace agentfleet::testing
