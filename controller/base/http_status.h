#pragma once

// The one reading of an HTTP status as an ErrorCode, shared by every HTTP
// client (Kubernetes API, SQS, RabbitMQ). Callers that know more (a
// Kubernetes Status reason, an AWS error type) refine the answer on top.

#include "controller/base/result.h"

namespace agentfleet {

// For an unsuccessful answer: 4xx statuses without a code of their own are
// kInvalidArgument (the server refuses this request, repeating it will not
// help), 5xx kUnavailable, 408 and 504 kTimeout. Anything below 400 is not a
// failure the server named, so a caller holding one has an unexpected answer:
// kInternal.
ErrorCode ErrorCodeForHttpStatus(int status);

}  // namespace agentfleet
