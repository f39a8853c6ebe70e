#include "examples/agent/results/task_version.h"

#include <charconv>

namespace agentfleet::agent::results {
namespace {

std::optional<int64_t> ParsePart(std::string_view s) {
  // Canonical only, so that equal versions have equal text (the Redis script
  // compares them as decimal strings).
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string FormatTaskVersion(const TaskVersion& v) {
  return std::to_string(v.hi) + "-" + std::to_string(v.lo);
}

std::optional<TaskVersion> ParseTaskVersion(std::string_view s) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto hi = ParsePart(s.substr(0, dash));
  auto lo = ParsePart(s.substr(dash + 1));
  if (!hi || !lo) return std::nullopt;
  return TaskVersion{*hi, *lo};
}

bool ValidTaskVersion(const TaskVersion& v) {
  return v.hi >= 0 && v.lo >= 0;
}

}  // namespace agentfleet::agent::results
