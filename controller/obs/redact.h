#pragma once

// Keeps credentials out of logs: every occurrence of a known secret value is
// replaced with a fixed marker.

#include <span>
#include <string>
#include <string_view>

namespace agentfleet::obs {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// `text` with every occurrence of every non-empty secret replaced by kRedacted.
// Longer secrets are replaced first, so a secret containing another is fully
// hidden.
std::string Redact(std::string_view text, std::span<const std::string> secrets);

}  // namespace agentfleet::obs
