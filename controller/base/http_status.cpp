#include "controller/base/http_status.h"

namespace agentfleet {

ErrorCode ErrorCodeForHttpStatus(int status) {
  switch (status) {
    case 401:
      return ErrorCode::kUnauthorized;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 408:
    case 504:
      return ErrorCode::kTimeout;
    case 409:
      return ErrorCode::kConflict;
    case 410:
      return ErrorCode::kGone;
    case 412:
      return ErrorCode::kFailedPrecondition;
    case 429:
      return ErrorCode::kTooManyRequests;
    default:
      break;
  }
  if (status >= 500 && status <= 599) return ErrorCode::kUnavailable;
  if (status >= 400 && status <= 499) return ErrorCode::kInvalidArgument;
  return ErrorCode::kInternal;
}

}  // namespace agentfleet
