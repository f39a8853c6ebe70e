#pragma once

// Exponential backoff with jitter and a reset after a healthy period, as
// client-go's ExponentialBackoffManager: the watch reconnects after 800 ms,
// 1.6 s, 3.2 s … up to 30 s, and starts over at 800 ms once it has stayed
// connected for 2 minutes.
//
//   Backoff backoff(kWatchBackoff, clock);
//   while (!stopping) {
//     auto s = Watch(...);               // returns when the connection drops
//     sleep(backoff.Next());
//   }

#include <chrono>
#include <functional>
#include <mutex>
#include <random>

#include "controller/base/clock.h"

namespace agentfleet::kube::workqueue {

struct BackoffPolicy {
  std::chrono::nanoseconds initial{std::chrono::milliseconds(800)};
  double factor = 2.0;  // >= 1
  std::chrono::nanoseconds cap{std::chrono::seconds(30)};
  // Each delay d becomes d + u*jitter*d with u uniform in [0, 1), so with
  // jitter 1.0 a delay lies in [d, 2d). As in client-go, jitter is added after
  // the cap: the largest delay is cap*(1+jitter).
  double jitter = 0;
  // When more than this passed since the previous Next(), the sequence starts
  // over (the operation was healthy meanwhile). Zero: never.
  std::chrono::nanoseconds reset_after{0};
};

// client-go's reflector: 800 ms doubling to 30 s, jitter 1.0, reset after 2 min.
inline constexpr BackoffPolicy kWatchBackoff{
    std::chrono::milliseconds(800), 2.0, std::chrono::seconds(30), 1.0, std::chrono::minutes(2)};

class Backoff {
 public:
  // `uniform01` returns numbers in [0, 1); empty: a generator seeded from
  // std::random_device. Tests inject a fixed value.
  Backoff(BackoffPolicy policy, const Clock& clock, std::function<double()> uniform01 = {});

  // The delay before the next attempt; each call moves one step along.
  std::chrono::nanoseconds Next();

  // Starts over at `initial` (e.g. after a success that is not time-based).
  void Reset();

 private:
  BackoffPolicy policy_;
  const Clock& clock_;
  std::function<double()> uniform01_;
  std::mutex mu_;
  std::chrono::nanoseconds current_;
  bool started_ = false;
  Clock::Monotonic last_{};
  std::mt19937_64 rng_;
};

}  // namespace agentfleet::kube::workqueue
