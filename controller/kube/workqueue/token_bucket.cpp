#include "controller/kube/workqueue/token_bucket.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace agentfleet::kube::workqueue {

TokenBucket::TokenBucket(double qps, int burst, const Clock& clock)
    : qps_(qps), burst_(burst), clock_(clock), tokens_(burst), last_(clock.Now()) {
  if (!(qps > 0)) throw std::invalid_argument("token bucket: qps must be greater than 0");
  if (burst < 1) throw std::invalid_argument("token bucket: burst must be at least 1");
}

void TokenBucket::RefillLocked(Clock::Monotonic now) const {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min<double>(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

bool TokenBucket::TryAccept() {
  if (std::isinf(qps_)) return true;
  std::lock_guard lock(mu_);
  RefillLocked(clock_.Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::chrono::nanoseconds TokenBucket::Reserve() {
  if (std::isinf(qps_)) return std::chrono::nanoseconds::zero();
  std::lock_guard lock(mu_);
  RefillLocked(clock_.Now());
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds::zero();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(-tokens_ / qps_ * 1e9)));
}

Status TokenBucket::Wait(std::chrono::nanoseconds max_wait, const Sleeper& sleep) {
  if (std::isinf(qps_)) return Ok{};
  std::chrono::nanoseconds delay;
  {
    std::lock_guard lock(mu_);
    RefillLocked(clock_.Now());
    double after = tokens_ - 1;
    delay =
        after >= 0
            ? std::chrono::nanoseconds::zero()
            : std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(-after / qps_ * 1e9)));
    if (delay > max_wait) {
      return MakeError(ErrorCode::kTimeout,
                       "client rate limiter: waiting " +
                           std::to_string(std::chrono::duration<double>(delay).count()) +
                           "s for a token would exceed the deadline");
    }
    tokens_ = after;
  }
  if (delay > std::chrono::nanoseconds::zero()) {
    if (sleep) {
      sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
  return Ok{};
}

double TokenBucket::Tokens() const {
  if (std::isinf(qps_)) return burst_;
  std::lock_guard lock(mu_);
  RefillLocked(clock_.Now());
  return tokens_;
}

}  // namespace agentfleet::kube::workqueue
