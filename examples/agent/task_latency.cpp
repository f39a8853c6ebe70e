#include "examples/agent/task_latency.h"

#include <algorithm>

#include "examples/agent/results/task_version.h"

namespace agentfleet::agent {

std::optional<double> TaskLatencySeconds(std::string_view id,
                                         std::chrono::system_clock::time_point now) {
  auto version = results::ParseTaskVersion(id);
  if (!version) return std::nullopt;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return static_cast<double>(std::max<int64_t>(0, now_ms - version->hi)) / 1000.0;
}

double TaskLatencySeconds(std::chrono::system_clock::time_point enqueued,
                          std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - enqueued).count();
  return static_cast<double>(std::max<int64_t>(0, ms)) / 1000.0;
}

}  // namespace agentfleet::agent
