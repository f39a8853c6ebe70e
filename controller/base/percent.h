#pragma once

// Percent-decoding of URL parts (RFC 3986 §2.1), as the store and queue URLs
// carry user names, passwords and vhosts.

#include <optional>
#include <string>
#include <string_view>

namespace agentfleet {

// "%2F" → "/"; nullopt for a '%' not followed by two hex digits. '+' stays
// '+' (that is form encoding, not URL encoding).
std::optional<std::string> PercentDecode(std::string_view s);

}  // namespace agentfleet
