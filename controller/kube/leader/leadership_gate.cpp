#include "controller/kube/leader/leadership_gate.h"

namespace agentfleet::kube::leader {

void LeadershipGate::OpenUntil(Clock::Monotonic until) {
  const int64_t ticks = until.time_since_epoch().count();
  int64_t current = until_.load();
  while (!revoked_.load() && ticks > current && !until_.compare_exchange_weak(current, ticks)) {
  }
  // A Revoke racing with the store above wins: it is checked again by Admit.
}

void LeadershipGate::Revoke() {
  revoked_ = true;
  until_ = kClosed;
}

Result<Clock::Monotonic> LeadershipGate::Admit() const {
  if (revoked_.load()) {
    return MakeError(ErrorCode::kUnavailable, "not the leader (leadership given up)");
  }
  const int64_t ticks = until_.load();
  if (ticks == kClosed) return MakeError(ErrorCode::kUnavailable, "not the leader");
  const Clock::Monotonic until{Clock::Monotonic::duration(ticks)};
  if (clock_.Now() >= until) {
    return MakeError(ErrorCode::kUnavailable,
                     "not the leader (the renew deadline passed without a renewal)");
  }
  return until;
}

}  // namespace agentfleet::kube::leader
