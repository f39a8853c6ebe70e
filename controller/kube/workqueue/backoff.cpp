#include "controller/kube/workqueue/backoff.h"

#include <algorithm>

namespace agentfleet::kube::workqueue {

Backoff::Backoff(BackoffPolicy policy, const Clock& clock, std::function<double()> uniform01)
    : policy_(policy),
      clock_(clock),
      uniform01_(std::move(uniform01)),
      current_(policy.initial),
      rng_(std::random_device{}()) {
  policy_.factor = std::max(1.0, policy_.factor);
  policy_.jitter = std::max(0.0, policy_.jitter);
  if (!uniform01_) {
    uniform01_ = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
  }
}

std::chrono::nanoseconds Backoff::Next() {
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  if (!started_ || (policy_.reset_after.count() > 0 && now - last_ > policy_.reset_after)) {
    current_ = policy_.initial;
  }
  started_ = true;
  last_ = now;
  auto delay = std::min(current_, policy_.cap);
  double next = static_cast<double>(current_.count()) * policy_.factor;
  current_ = next >= static_cast<double>(policy_.cap.count())
                 ? policy_.cap
                 : std::chrono::nanoseconds(static_cast<std::int64_t>(next));
  if (policy_.jitter > 0) {
    double extra = uniform01_() * policy_.jitter * static_cast<double>(delay.count());
    delay += std::chrono::nanoseconds(static_cast<std::int64_t>(extra));
  }
  return delay;
}

void Backoff::Reset() {
  std::lock_guard lock(mu_);
  current_ = policy_.initial;
  started_ = false;
}

}  // namespace agentfleet::kube::workqueue
