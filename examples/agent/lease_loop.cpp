#include "examples/agent/lease_loop.h"

#include <algorithm>

#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::agent {

LeaseLoop::LeaseLoop(LeaseLoopConfig config, std::unique_ptr<sources::lease::LeaseStore> store,
                     std::unique_ptr<results::ResultStore> fences, ShardTable& table,
                     AssignmentBox& box, AgentMetrics& metrics, obs::Logger log)
    : config_(std::move(config)),
      store_(std::move(store)),
      fences_(std::move(fences)),
      table_(table),
      box_(box),
      metrics_(metrics),
      log_(std::move(log)) {}

SteadyTime LeaseLoop::ValidUntil(SteadyTime sent) const {
  return sent + config_.lease_duration - config_.lease_duration / 10;
}

void LeaseLoop::ReadPublished(SteadyTime now) {
  if (config_.pod.empty() || now < next_read_) return;
  next_read_ = now + config_.tick;
  auto report = [this](std::string problem, bool malformed) {
    if (problem == read_problem_) return;
    read_problem_ = std::move(problem);
    if (malformed) metrics_.assignment_errors.Inc();
    log_.Warn(malformed ? "malformed published assignment; keeping the current one"
                        : "reading the published assignment failed; the pod's annotations still "
                          "deliver it",
              {{"error", read_problem_}});
  };
  auto record = store_->ReadAssignment(config_.fleet, config_.pod);
  if (!record.ok()) {
    report(record.error().message, record.error().code == ErrorCode::kInternal);
    return;
  }
  if (!*record) return;  // not published (yet, or an operator without it)
  auto shards = sources::protocol::ParseShardRanges((*record)->shards, config_.shard_count);
  if (!shards.ok()) {
    report("published generation " + std::to_string((*record)->generation) + ": " +
               shards.error().message,
           true);
    return;
  }
  read_problem_.clear();
  box_.Put({.present = true, .generation = (*record)->generation, .shards = std::move(*shards)});
}

void LeaseLoop::ApplyAssignment() {
  auto latest = box_.Latest();
  if (!latest || !ShouldApply(applied_generation_, applied_any_, *latest)) return;
  applied_any_ = true;
  applied_generation_ = latest->generation;
  desired_ = latest->shards;
  desired_changed_ = true;
  metrics_.shards_desired.Set(static_cast<double>(desired_.size()));
  metrics_.assignment_generation.Set(static_cast<double>(applied_generation_));
  log_.Info("assignment applied", {{"generation", applied_generation_},
                                   {"shards", sources::protocol::FormatShardRanges(desired_)}});
}

void LeaseLoop::Step(SteadyTime now) {
  ReadPublished(now);
  ApplyAssignment();

  for (const auto& lost : table_.RemoveExpired(now)) {
    metrics_.leases_lost.Inc();
    log_.Warn("lease not renewed in time: shard dropped",
              {{"shard", lost.shard}, {"token", lost.token}});
  }
  if (now >= next_renew_) Renew(now);

  ShardPlan plan = PlanShards(desired_, table_.View());
  for (uint32_t s : plan.start_drain) {
    table_.SetPhase(s, ShardPhase::kDraining);
    log_.Info("shard unassigned: draining", {{"shard", s}});
  }
  for (uint32_t s : plan.reactivate) table_.SetPhase(s, ShardPhase::kActive);
  if (!plan.release.empty()) {
    metrics_.handoffs_out.Inc(Release(table_.TakeIdleDraining(plan.release), "unassigned"));
  }
  if (!plan.acquire.empty() && (desired_changed_ || now >= next_acquire_)) {
    Acquire(plan.acquire);
    next_acquire_ = now + config_.tick;
  }
  desired_changed_ = false;
  metrics_.shards_held.Set(static_cast<double>(table_.size()));
  last_step_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
}

void LeaseLoop::Renew(SteadyTime now) {
  std::vector<ActiveShard> held = table_.Held();
  next_renew_ = now + config_.lease_duration / 3;
  if (held.empty()) return;
  std::vector<sources::lease::ShardToken> leases;
  for (const auto& h : held) leases.push_back({h.shard, h.token});
  const SteadyTime sent = std::chrono::steady_clock::now();
  auto results = store_->RenewMany(config_.fleet, leases, config_.holder, config_.lease_duration);
  if (!results.ok()) {
    metrics_.renew_errors.Inc(static_cast<double>(held.size()));
    log_.Warn("renewing leases failed; retrying soon", {{"error", results.error()}});
    next_renew_ = now + config_.lease_duration / 10;
    return;
  }
  for (size_t i = 0; i < held.size() && i < results->size(); ++i) {
    const auto& r = (*results)[i];
    if (r.ok()) {
      table_.Extend(held[i].shard, held[i].token, ValidUntil(sent));
      continue;
    }
    if (r.error().code == ErrorCode::kFailedPrecondition) {
      metrics_.renew_lost.Inc();
      if (table_.MarkLost(held[i].shard, held[i].token)) metrics_.leases_lost.Inc();
      log_.Warn("renew refused: lease lost, shard dropped",
                {{"shard", held[i].shard}, {"token", held[i].token}, {"error", r.error()}});
    } else {
      metrics_.renew_errors.Inc();
      log_.Warn("renew failed", {{"shard", held[i].shard}, {"error", r.error()}});
    }
  }
}

void LeaseLoop::Acquire(const std::vector<uint32_t>& shards) {
  // A shard no longer wanted was not handed to this agent after all.
  std::erase_if(waited_, [&](uint32_t s) {
    return std::find(shards.begin(), shards.end(), s) == shards.end();
  });
  const SteadyTime sent = std::chrono::steady_clock::now();
  auto results = store_->AcquireMany(config_.fleet, shards, config_.holder, config_.lease_duration);
  if (!results.ok()) {
    metrics_.acquire_errors.Inc(static_cast<double>(shards.size()));
    log_.Warn("acquiring leases failed", {{"error", results.error()}});
    return;
  }
  std::vector<uint32_t> got;
  bool fenced = true;
  std::vector<sources::lease::ShardToken> unfenced;  // acquired, not to be worked on
  for (size_t i = 0; i < shards.size() && i < results->size(); ++i) {
    const auto& r = (*results)[i];
    if (r.ok()) {
      if (fences_ && !fenced) {
        unfenced.push_back({shards[i], r->token});
        continue;
      }
      if (fences_) {
        // Not worked on until older tokens are fenced off. On the first
        // failure the rest is not tried (the store is likely down: one
        // timeout, not one per shard) and those leases are let go.
        if (auto f = fences_->RaiseFence(config_.fleet, shards[i], r->token); !f.ok()) {
          metrics_.acquire_errors.Inc();
          log_.Warn("raising the fence of an acquired shard failed; letting the lease go",
                    {{"shard", shards[i]}, {"error", f.error()}});
          fenced = false;
          unfenced.push_back({shards[i], r->token});
          continue;
        }
      }
      table_.Add(shards[i], r->token, ValidUntil(sent));
      metrics_.leases_acquired.Inc();
      if (waited_.erase(shards[i]) > 0) metrics_.handoffs_in.Inc();
      got.push_back(shards[i]);
      log_.Debug("lease acquired", {{"shard", shards[i]}, {"token", r->token}});
    } else if (r.error().code == ErrorCode::kFailedPrecondition) {
      metrics_.acquire_held_elsewhere.Inc();
      waited_.insert(shards[i]);
    } else {
      metrics_.acquire_errors.Inc();
      log_.Warn("acquiring a lease failed", {{"shard", shards[i]}, {"error", r.error()}});
    }
  }
  if (!got.empty()) {
    log_.Info("leases acquired", {{"shards", sources::protocol::FormatShardRanges(got)}});
  }
  if (!unfenced.empty()) {
    // Held but not worked on would keep the shard from everyone for a lease
    // duration; released, it is acquired again (a new token) next tick.
    if (auto r = store_->ReleaseMany(config_.fleet, unfenced, config_.holder); !r.ok()) {
      log_.Warn("releasing unfenced leases failed; they will expire", {{"error", r.error()}});
    }
  }
}

int LeaseLoop::Release(const std::vector<ActiveShard>& shards, const char* why) {
  if (shards.empty()) return 0;
  std::vector<sources::lease::ShardToken> leases;
  std::vector<uint32_t> ids;
  for (const auto& s : shards) {
    leases.push_back({s.shard, s.token});
    ids.push_back(s.shard);
  }
  auto results = store_->ReleaseMany(config_.fleet, leases, config_.holder);
  if (!results.ok()) {
    // The leases simply expire.
    log_.Warn("releasing leases failed; they will expire", {{"error", results.error()}});
    return 0;
  }
  int released = 0;
  for (const auto& r : *results) released += r.ok() ? 1 : 0;
  metrics_.leases_released.Inc(released);
  metrics_.shards_held.Set(static_cast<double>(table_.size()));
  log_.Info("leases released", {{"shards", sources::protocol::FormatShardRanges(ids)},
                                {"reason", why},
                                {"released", released}});
  return released;
}

void LeaseLoop::ReleaseAll() {
  (void)Release(table_.TakeAll(), "shutdown");
}

}  // namespace agentfleet::agent
