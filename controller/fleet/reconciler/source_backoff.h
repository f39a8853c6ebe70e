#pragma once

// When a fleet's failing source may be tried again. A source that does not
// answer costs a worker its connect or command timeout on every attempt; tried
// at every pass, two such fleets kept the workers from every other fleet. After
// a failure the source is left alone for 1 s, doubling per failure up to 30 s;
// passes in between report the last fault without touching the network. One
// success, or new settings, starts over.

#include <chrono>

#include "controller/base/clock.h"

namespace agentfleet::fleet::reconciler {

class SourceBackoff {
 public:
  static constexpr std::chrono::milliseconds kInitial{1000};
  static constexpr std::chrono::milliseconds kCap{30'000};

  bool Due(Clock::Monotonic now) const { return failures_ == 0 || now >= next_; }
  void Failed(Clock::Monotonic now);
  void Succeeded() { failures_ = 0; }
  int failures() const { return failures_; }
  Clock::Monotonic next() const { return next_; }

 private:
  int failures_ = 0;
  Clock::Monotonic next_{};
};

}  // namespace agentfleet::fleet::reconciler
