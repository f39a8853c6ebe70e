#pragma once

// Rate limiters for retries, with client-go's semantics and names. The
// workqueue asks When(key) how long to hold a failed key back, Forget(key)
// once it succeeded, and NumRequeues(key) how often it has failed in a row.
// All implementations are thread-safe.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/base/clock.h"
#include "controller/kube/workqueue/token_bucket.h"

namespace agentfleet::kube::workqueue {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // How long to wait before `item` is retried; counts a failure.
  virtual std::chrono::nanoseconds When(const std::string& item) = 0;
  // Stop tracking `item` (it succeeded, or will not be retried).
  virtual void Forget(const std::string& item) = 0;
  // Failures of `item` since it was last forgotten.
  virtual int NumRequeues(const std::string& item) = 0;
};

// base * 2^failures, capped at `max` (client-go: 5 ms → 1000 s per item).
class ItemExponentialFailureRateLimiter final : public RateLimiter {
 public:
  ItemExponentialFailureRateLimiter(std::chrono::nanoseconds base, std::chrono::nanoseconds max);
  std::chrono::nanoseconds When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  const std::chrono::nanoseconds base_, max_;
  std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

// One token bucket shared by every item: bounds the overall retry rate.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, const Clock& clock) : bucket_(qps, burst, clock) {}
  std::chrono::nanoseconds When(const std::string&) override { return bucket_.Reserve(); }
  void Forget(const std::string&) override {}
  int NumRequeues(const std::string&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The longest delay of several limiters; NumRequeues is the largest count.
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  std::chrono::nanoseconds When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// client-go's DefaultControllerRateLimiter: the max of per-item exponential
// (5 ms doubling to 1000 s) and an overall bucket of 10 qps with burst 100.
std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(const Clock& clock);

}  // namespace agentfleet::kube::workqueue
