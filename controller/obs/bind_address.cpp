#include "controller/obs/bind_address.h"

#include <charconv>

namespace agentfleet::obs {

bool IsBindAddressDisabled(std::string_view address) {
  return address == "0";
}

Result<BindAddress> ParseBindAddress(std::string_view address) {
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "bind address \"" + std::string(address) + "\": " + std::string(why));
  };
  if (IsBindAddressDisabled(address)) return bad("\"0\" turns the endpoint off");
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad("must be host:port, :port or 0");
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) return bad("unbalanced brackets");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 host must be in brackets, as [::1]:8080");
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return BindAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace agentfleet::obs
