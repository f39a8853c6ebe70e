#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "controller/base/clock.h"
#include "controller/kube/leader/leadership_gate.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::kube::leader {

struct LeaderElectionConfig {
  std::string namespace_name;
  std::string name;      // the Lease's name
  std::string identity;  // see MakeLeaderIdentity
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  bool release_on_stop = true;
  // Opened for each term the elector wins and renews, revoked when it stops
  // leading; optional (must outlive the elector).
  LeadershipGate* gate = nullptr;
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& leader)> on_new_leader;
  // A failed read or write of the Lease other than losing a race (409): an
  // unreachable server, a refused credential, missing RBAC. Election goes on.
  std::function<void(const Error& error)> on_error;
};

// Pod name (or host name) plus a random suffix, so that two processes in one
// pod (or a restart that reuses the name) never share an identity.
std::string MakeLeaderIdentity();

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's: a holder
// keeps the lease by renewing it every retry period; others take it over only
// once it has not changed for a whole lease duration by their own clock (no
// clock is shared between machines); a leader that cannot renew within the
// renew deadline stops leading. Writes carry resourceVersion, so two
// candidates can never both win one round.
//
// The renew deadline is counted from the start of the last successful
// attempt, and every attempt (its requests, their timeouts and retries) must
// end by it: a hanging API server cannot stretch a term past it, while a
// standby waits a whole lease duration from when it last saw the record
// change. The gap between the two is the margin for a write sent just before
// the deadline to land.
class LeaderElector {
 public:
  LeaderElector(rest::Client& client, LeaderElectionConfig config,
                const Clock& clock = RealClock::Instance());

  // Blocks: campaigns until elected, leads until leadership is lost or Stop()
  // is called, then returns (releasing the lease on Stop when configured).
  // Returns true when it ended because of Stop().
  bool Run();
  void Stop();
  bool IsLeader() const { return leading_.load(); }
  std::string ObservedLeader() const;

 private:
  // One attempt, started at `start`, whose requests all end by `deadline`.
  bool TryAcquireOrRenew(Clock::Monotonic start, Clock::Monotonic deadline);
  void Failed(const Error& error) const;
  void Won(Clock::Monotonic start);
  void Release();
  void Sleep(std::chrono::milliseconds d);
  rest::Json Spec(const std::string& holder, int transitions,
                  const std::string& acquire_time) const;

  rest::Client& client_;
  LeaderElectionConfig config_;
  const Clock& clock_;
  std::atomic<bool> leading_{false};
  // The Lease as this process last wrote it, while it holds it; guarded by mu_.
  std::optional<rest::Json> held_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // The last record seen and when (by our clock, once the reply was in) it
  // last changed.
  std::string observed_holder_;
  std::string observed_renew_;
  std::optional<Clock::Monotonic> observed_at_;
  std::string acquire_time_;
};

}  // namespace agentfleet::kube::leader
