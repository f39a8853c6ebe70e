#pragma once

#include <chrono>
#include <mutex>

namespace agentfleet {

// Time is injected everywhere so that the core is tested deterministically.
class Clock {
 public:
  using Monotonic = std::chrono::steady_clock::time_point;
  using Wall = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual Monotonic Now() const = 0;
  virtual Wall WallNow() const = 0;
};

class RealClock final : public Clock {
 public:
  Monotonic Now() const override { return std::chrono::steady_clock::now(); }
  Wall WallNow() const override { return std::chrono::system_clock::now(); }
  static RealClock& Instance() {
    static RealClock clock;
    return clock;
  }
};

// A clock that moves only when told to; safe to read from several threads.
class FakeClock final : public Clock {
 public:
  FakeClock() : wall_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}
  Monotonic Now() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  Wall WallNow() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    mono_ += d;
    wall_ += std::chrono::duration_cast<Wall::duration>(d);
  }

 private:
  mutable std::mutex mu_;
  Monotonic mono_{};
  Wall wall_;
};

}  // namespace agentfleet
