#include "controller/kube/leader/leader_elector.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "controller/kube/meta/time.h"

namespace agentfleet::kube::leader {

std::string MakeLeaderIdentity() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    base = pod;
  } else {
    char host[256] = {};
    base = gethostname(host, sizeof host - 1) == 0 ? host : "agentfleet";
  }
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return base + "_" + suffix;
}

LeaderElector::LeaderElector(rest::Client& client, LeaderElectionConfig config, const Clock& clock)
    : client_(client), config_(std::move(config)), clock_(clock) {}

std::string LeaderElector::ObservedLeader() const {
  std::lock_guard lock(mu_);
  return observed_holder_;
}

void LeaderElector::Stop() {
  stop_ = true;
  cv_.notify_all();
}

void LeaderElector::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

rest::Json LeaderElector::Spec(const std::string& holder, int transitions,
                               const std::string& acquire_time) const {
  return {{"holderIdentity", holder},
          {"leaseDurationSeconds",
           std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count()},
          {"acquireTime", acquire_time},
          {"renewTime", meta::FormatMicroTime(clock_.WallNow())},
          {"leaseTransitions", transitions}};
}

void LeaderElector::Failed(const Error& error) const {
  if (error.code != ErrorCode::kConflict && error.code != ErrorCode::kAlreadyExists &&
      config_.on_error) {
    config_.on_error(error);
  }
}

bool LeaderElector::TryAcquireOrRenew(Clock::Monotonic start, Clock::Monotonic deadline) {
  // The REST client counts on the steady clock; ours may be a test's.
  rest::ScopedDeadline bound(std::chrono::steady_clock::now() + (deadline - clock_.Now()));
  // While it holds the Lease a renewal is one request, as client-go's: the
  // update of the record it wrote last, whose resourceVersion makes any
  // other writer's change since a Conflict. Only then is the record read.
  std::optional<rest::Json> held;
  {
    std::lock_guard lock(mu_);
    held.swap(held_);
  }
  if (held && held->contains("spec") && (*held)["spec"].is_object()) {
    rest::Json lease = std::move(*held);
    lease["spec"] =
        Spec(config_.identity, lease["spec"].value("leaseTransitions", 0), acquire_time_);
    auto updated = client_.Update(rest::resources::kLeases, config_.namespace_name, lease);
    if (updated) {
      std::lock_guard lock(mu_);
      observed_holder_ = config_.identity;
      observed_renew_ = (*updated)["spec"].value("renewTime", "");
      observed_at_ = clock_.Now();
      held_ = std::move(*updated);
      Won(start);
      return true;
    }
    if (updated.error().code != ErrorCode::kConflict) {
      Failed(updated.error());
      return false;
    }
  }
  auto got = client_.Get(rest::resources::kLeases, config_.namespace_name, config_.name);
  // Another holder's renewal counts from when its record reached us, never
  // from before we asked: a slow GET must not make a live lease look old.
  const auto seen = clock_.Now();
  if (!got) {
    if (got.error().code != ErrorCode::kNotFound) {
      Failed(got.error());
      return false;
    }
    std::string acquire = meta::FormatMicroTime(clock_.WallNow());
    rest::Json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", config_.name}, {"namespace", config_.namespace_name}}},
        {"spec", Spec(config_.identity, 0, acquire)}};
    auto created = client_.Create(rest::resources::kLeases, config_.namespace_name, lease);
    if (!created) {
      Failed(created.error());
      return false;
    }
    std::lock_guard lock(mu_);
    observed_holder_ = config_.identity;
    observed_at_ = clock_.Now();
    acquire_time_ = acquire;
    held_ = std::move(*created);
    Won(start);
    return true;
  }
  rest::Json& lease = *got;
  const rest::Json& spec =
      lease.contains("spec") && lease["spec"].is_object() ? lease["spec"] : rest::Json::object();
  std::string holder = spec.value("holderIdentity", "");
  std::string renew = spec.value("renewTime", "");
  int transitions = spec.value("leaseTransitions", 0);
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = holder != observed_holder_ || renew != observed_renew_ || !observed_at_;
    if (changed) {
      if (holder != observed_holder_ && config_.on_new_leader && !holder.empty()) {
        config_.on_new_leader(holder);
      }
      observed_holder_ = holder;
      observed_renew_ = renew;
      observed_at_ = seen;
    }
  }
  bool mine = holder == config_.identity;
  // Expiry by our own clock since we last saw the record change.
  bool expired = holder.empty() || seen >= *observed_at_ + config_.lease_duration;
  if (!mine && !expired) return false;

  std::string acquire =
      mine && !acquire_time_.empty() ? acquire_time_ : meta::FormatMicroTime(clock_.WallNow());
  lease["spec"] = Spec(config_.identity, mine ? transitions : transitions + 1, acquire);
  // Update carries the resourceVersion we read: a competing write makes this a Conflict.
  auto updated = client_.Update(rest::resources::kLeases, config_.namespace_name, lease);
  if (!updated) {
    Failed(updated.error());
    return false;
  }
  std::lock_guard lock(mu_);
  observed_holder_ = config_.identity;
  observed_renew_ = (*updated)["spec"].value("renewTime", "");
  observed_at_ = clock_.Now();
  acquire_time_ = acquire;
  held_ = std::move(*updated);
  Won(start);
  return true;
}

void LeaderElector::Won(Clock::Monotonic start) {
  if (config_.gate != nullptr) config_.gate->OpenUntil(start + config_.renew_deadline);
}

void LeaderElector::Release() {
  rest::ScopedDeadline bound(std::chrono::steady_clock::now() + config_.renew_deadline);
  auto got = client_.Get(rest::resources::kLeases, config_.namespace_name, config_.name);
  if (!got || (*got)["spec"].value("holderIdentity", "") != config_.identity) return;
  rest::Json lease = *got;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = meta::FormatMicroTime(clock_.WallNow());
  (void)client_.Update(rest::resources::kLeases, config_.namespace_name, lease);
}

bool LeaderElector::Run() {
  std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(1.0, 1.2);
  // The start of the last successful attempt: the term runs renew_deadline from it.
  Clock::Monotonic last_renew{};
  while (!stop_) {
    const auto start = clock_.Now();
    if (TryAcquireOrRenew(start, start + config_.renew_deadline)) {
      last_renew = start;
      break;
    }
    Sleep(std::chrono::milliseconds(int64_t(config_.retry_period.count() * jitter(rng))));
  }
  if (stop_) {
    // Stopped while an attempt was winning: that term is not used.
    if (config_.gate != nullptr) config_.gate->Revoke();
    return true;
  }
  leading_ = true;
  if (config_.on_started_leading) config_.on_started_leading();
  while (!stop_) {
    const auto deadline = last_renew + config_.renew_deadline;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.Now());
    Sleep(std::min(config_.retry_period, std::max(left, std::chrono::milliseconds(0))));
    if (stop_) break;
    const auto start = clock_.Now();
    if (start >= deadline) break;
    if (TryAcquireOrRenew(start, deadline)) {
      last_renew = start;
      continue;
    }
    // Someone else holds it now: there is nothing left to renew.
    if (ObservedLeader() != config_.identity) break;
  }
  // Stop leading before releasing, so that no work happens after the lease is
  // gone; the gate refuses every write from here on, whatever is in flight.
  leading_ = false;
  if (config_.gate != nullptr) config_.gate->Revoke();
  if (config_.on_stopped_leading) config_.on_stopped_leading();
  if (stop_ && config_.release_on_stop) Release();
  return stop_.load();
}

}  // namespace agentfleet::kube::leader
