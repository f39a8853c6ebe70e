#pragma once

// A token bucket driven by an injected clock: `burst` tokens, refilled at `qps`
// per second. The overall limiter of the workqueue's default rate limiter, and
// the client-side limiter of the REST client (--kube-api-qps/--kube-api-burst).
//
// Reservations may take the bucket below zero, as golang.org/x/time/rate does:
// each caller learns how long to wait for its own token, so concurrent callers
// are spaced 1/qps apart instead of racing for the next token.
//
//   TokenBucket limiter(opts.kube_api_qps, opts.kube_api_burst, RealClock::Instance());
//   if (auto s = limiter.Wait(deadline_left); !s.ok()) return s.error();  // kTimeout

#include <chrono>
#include <functional>
#include <mutex>

#include "controller/base/clock.h"
#include "controller/base/result.h"

namespace agentfleet::kube::workqueue {

// Sleeps for the given duration. Injected so that tests can advance a FakeClock
// instead of sleeping, and so that shutdown can interrupt a wait.
using Sleeper = std::function<void(std::chrono::nanoseconds)>;

class TokenBucket {
 public:
  // qps > 0 (infinity means unlimited) and burst >= 1, else std::invalid_argument:
  // a configuration error. The bucket starts full.
  TokenBucket(double qps, int burst, const Clock& clock);

  // Takes a token if one is available now.
  bool TryAccept();

  // Takes a token and returns how long until it may be used (zero if now).
  std::chrono::nanoseconds Reserve();

  // Reserves a token and sleeps until it is usable. If that would take longer
  // than `max_wait`, takes nothing, does not sleep and returns kTimeout.
  // An empty `sleep` sleeps the calling thread.
  Status Wait(std::chrono::nanoseconds max_wait = std::chrono::nanoseconds::max(),
              const Sleeper& sleep = {});

  // Tokens available now (negative while reservations are outstanding).
  double Tokens() const;
  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  void RefillLocked(Clock::Monotonic now) const;

  const double qps_;
  const int burst_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable double tokens_;
  mutable Clock::Monotonic last_;
};

}  // namespace agentfleet::kube::workqueue
