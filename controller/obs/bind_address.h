#pragma once

// The bind-address syntax of the --metrics-bind-address and
// --health-probe-bind-address flags: "host:port", ":port" (every interface),
// "[v6]:port", or "0" to turn the endpoint off. Port 0 binds an ephemeral port.

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::obs {

struct BindAddress {
  std::string host;  // empty: every interface
  std::uint16_t port = 0;
};

// True for "0", the value that turns an endpoint off.
bool IsBindAddressDisabled(std::string_view address);

// kInvalidArgument naming the problem for a malformed address (and for "0").
Result<BindAddress> ParseBindAddress(std::string_view address);

}  // namespace agentfleet::obs
