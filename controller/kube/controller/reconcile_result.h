#pragma once

// What a reconcile tells the controller to do next, as controller-runtime's
// (Result, error) pair says it, but as one value:
//
//   return ReconcileResult::Done();                          // converged
//   return ReconcileResult::RequeueAfter(std::chrono::seconds(30));  // poll again
//   return MakeError(ErrorCode::kUnavailable, "queue depth");  // retried with backoff
//   return ReconcileResult::Terminal(MakeError(ErrorCode::kInvalidArgument, "..."));
//
// Terminal is for an error that retrying the same object cannot fix: it is
// counted and logged as an error, but the key is not retried; only the next
// change to the object (an informer event) enqueues it again. A reconciler that
// reports such a state through the object's status instead returns Done.

#include <chrono>
#include <optional>
#include <utility>

#include "controller/base/result.h"

namespace agentfleet::kube::controller {

class ReconcileResult {
 public:
  enum class Kind {
    kDone,           // forget the key's failures; nothing scheduled
    kRequeue,        // run again after the rate limiter's delay (not an error)
    kRequeueAfter,   // run again after requeue_after()
    kError,          // counted as an error, retried after the rate limiter's delay
    kTerminalError,  // counted as an error and a terminal error; not retried
  };

  static ReconcileResult Done() { return ReconcileResult(Kind::kDone); }
  static ReconcileResult Requeue() { return ReconcileResult(Kind::kRequeue); }
  // A delay of zero or less means Requeue(): an immediate unthrottled requeue
  // would be a hot loop.
  static ReconcileResult RequeueAfter(std::chrono::nanoseconds delay) {
    if (delay <= std::chrono::nanoseconds::zero()) return Requeue();
    ReconcileResult r(Kind::kRequeueAfter);
    r.after_ = delay;
    return r;
  }
  static ReconcileResult Fail(Error error) {
    return ReconcileResult(Kind::kError, std::move(error));
  }
  // A retried error whose backoff never exceeds `retry_within`: the failures
  // are counted as any error's, but the key comes back at least that often.
  static ReconcileResult Fail(Error error, std::chrono::nanoseconds retry_within) {
    ReconcileResult r(Kind::kError, std::move(error));
    r.retry_within_ = retry_within;
    return r;
  }
  static ReconcileResult Terminal(Error error) {
    return ReconcileResult(Kind::kTerminalError, std::move(error));
  }
  // Done for Ok, a retried error otherwise.
  static ReconcileResult FromStatus(const Status& status) {
    return status.ok() ? Done() : Fail(status.error());
  }

  ReconcileResult(Error error)  // NOLINT: implicit so that `return MakeError(...)` retries
      : ReconcileResult(Kind::kError, std::move(error)) {}

  Kind kind() const { return kind_; }
  std::chrono::nanoseconds requeue_after() const { return after_; }
  // The cap on a kError's backoff, if any.
  std::optional<std::chrono::nanoseconds> retry_within() const { return retry_within_; }
  // The error of kError and kTerminalError; nullptr for the other kinds.
  const Error* error() const {
    return kind_ == Kind::kError || kind_ == Kind::kTerminalError ? &error_ : nullptr;
  }

 private:
  explicit ReconcileResult(Kind kind, Error error = {}) : kind_(kind), error_(std::move(error)) {}
  Kind kind_;
  std::chrono::nanoseconds after_{0};
  std::optional<std::chrono::nanoseconds> retry_within_;
  Error error_;
};

}  // namespace agentfleet::kube::controller
