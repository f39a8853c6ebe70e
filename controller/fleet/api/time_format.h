#pragma once

// metav1.Time on the wire: RFC 3339 in UTC with second precision.

#include <string>
#include <string_view>

#include "controller/base/clock.h"
#include "controller/base/result.h"

namespace agentfleet::fleet::api {

// "2026-01-01T00:00:00Z"; sub-second parts are dropped, as the API server does.
std::string FormatTime(Clock::Wall t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (the fraction is
// dropped); kInvalidArgument otherwise.
Result<Clock::Wall> ParseTime(std::string_view text);

// Truncates to whole seconds, the precision a time keeps through the API.
Clock::Wall TruncateToSeconds(Clock::Wall t);

}  // namespace agentfleet::fleet::api
