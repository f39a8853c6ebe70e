#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace agentfleet {

// The kinds of failure a caller must handle. Chosen once for the whole project:
// API errors, outages and timeouts are values of this type; exceptions are kept
// for programming errors and start-up configuration.
enum class ErrorCode {
  kInvalidArgument,  // the input is malformed; retrying will not help
  kNotFound,
  kAlreadyExists,
  kConflict,  // optimistic-concurrency failure (HTTP 409)
  kGone,      // resourceVersion too old (HTTP 410): relist
  kUnauthorized,
  kForbidden,
  kTooManyRequests,     // throttled (HTTP 429)
  kUnavailable,         // connection refused, reset, DNS, 5xx
  kTimeout,             // no answer within the deadline
  kFailedPrecondition,  // a precondition (holder, token, uid) did not hold
  kInternal,            // a bug or an unexpected answer
  kResourceExhausted,   // an answer larger than its budget (bytes, elements): never taken in
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  Error() = default;
  Error(ErrorCode c, std::string m, int status = 0, std::string r = {})
      : code(c), message(std::move(m)), http_status(status), reason(std::move(r)) {}

  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Set when the failure is an HTTP answer: the status code and the machine
  // reason (Kubernetes Status.reason, for example "AlreadyExists").
  int http_status = 0;
  std::string reason;

  // Whether the same call may succeed if repeated later.
  bool Retryable() const {
    return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
           code == ErrorCode::kTooManyRequests || code == ErrorCode::kConflict;
  }
  std::string ToString() const;
};

// A value or an Error. Accessing the wrong alternative is a programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Success without a value.
struct Ok {};
using Status = Result<Ok>;

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace agentfleet
