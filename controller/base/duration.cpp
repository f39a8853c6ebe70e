#include "controller/base/duration.h"

#include <charconv>
#include <cstdint>

namespace agentfleet {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(ptr, text.data() + text.size() - ptr);
  if (ec != std::errc() || ptr == text.data() || n < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "must be a duration such as 500ms, 15s, 2m or 1h");
  }
  int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "must be a duration such as 500ms, 15s, 2m or 1h (units ms, s, m, h)");
  }
  // About 35 years: far beyond any setting, and far from overflowing.
  if (n > (int64_t{1} << 40) / factor) return MakeError(ErrorCode::kInvalidArgument, "is too long");
  return std::chrono::milliseconds(n * factor);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + "s";
  return std::to_string(duration.count()) + "ms";
}

}  // namespace agentfleet
