#pragma once

// metav1.Time and metav1.MicroTime on the wire: RFC 3339 in UTC.

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/clock.h"
#include "controller/base/result.h"

namespace agentfleet::kube::meta {

// "2026-01-01T00:00:00Z"; sub-second parts are dropped, as the API server does.
std::string FormatTime(Clock::Wall t);

// "2026-01-01T00:00:00.000000Z": MicroTime, which Leases and Events carry.
std::string FormatMicroTime(Clock::Wall t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (the fraction is
// dropped), within the years the clock holds (1677-09-21 to 2262-04-11);
// kInvalidArgument otherwise.
Result<Clock::Wall> ParseTime(std::string_view text);

// ParseTime as seconds since the epoch, 0 when absent or malformed: the form
// the informer caches keep, where a missing time must not fail the object.
int64_t ParseUnixSeconds(std::string_view text);

// Truncates to whole seconds, the precision a time keeps through the API.
Clock::Wall TruncateToSeconds(Clock::Wall t);

}  // namespace agentfleet::kube::meta
