#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentfleet {

// Standard base64 (RFC 4648, with padding), as Kubernetes uses for Secret data
// and kubeconfig *-data fields. Decoding rejects anything malformed.
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace agentfleet
