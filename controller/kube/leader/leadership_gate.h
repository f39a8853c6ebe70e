#pragma once

#include <atomic>
#include <cstdint>

#include "controller/base/clock.h"
#include "controller/base/result.h"

namespace agentfleet::kube::leader {

// Whether this process may still write as the leader. The elector opens it
// after each successful acquire or renew until that attempt's start plus the
// renew deadline: counted from the start, because the Lease may have been
// written at any moment of the attempt, and a late reply must not lengthen
// the term. Time alone closes it, so an elector that is frozen (SIGSTOP, a
// stalled node) or blocked cannot keep it open; Revoke closes it for good.
//
// The REST client asks it before every write (ClientOptions::write_gate); a
// refused write fails with kUnavailable "not the leader" and sends nothing.
class LeadershipGate {
 public:
  explicit LeadershipGate(const Clock& clock = RealClock::Instance()) : clock_(clock) {}
  LeadershipGate(const LeadershipGate&) = delete;
  LeadershipGate& operator=(const LeadershipGate&) = delete;

  // Keeps the gate open until `until` (never shortens it); nothing once revoked.
  void OpenUntil(Clock::Monotonic until);
  // Closes the gate for the rest of the process's life: leadership lost, or
  // the process is handing the Lease over.
  void Revoke();

  // The end of the current term, or kUnavailable once it has passed or the
  // gate was revoked.
  Result<Clock::Monotonic> Admit() const;

 private:
  static constexpr int64_t kClosed = INT64_MIN;
  const Clock& clock_;
  std::atomic<int64_t> until_{kClosed};  // Clock::Monotonic ticks
  std::atomic<bool> revoked_{false};
};

}  // namespace agentfleet::kube::leader
