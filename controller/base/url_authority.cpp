#include "controller/base/url_authority.h"

#include <charconv>

#include "controller/base/percent.h"

namespace agentfleet {
namespace {

Error Bad(std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(why));
}

}  // namespace

Result<UrlAuthority> ParseUrlAuthority(std::string_view authority) {
  UrlAuthority a;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    std::string_view user = userinfo, pass;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
    }
    auto u = PercentDecode(user), p = PercentDecode(pass);
    if (!u || !p) return Bad("bad percent-encoding in the credentials");
    a.has_userinfo = true;
    a.user = std::move(*u);
    a.password = std::move(*p);
  }

  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Bad("unexpected characters after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  a.host = std::string(host);
  if (!port.empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || end != port.data() + port.size() || v == 0 || v > 65535) {
      return Bad("port must be a number from 1 to 65535");
    }
    a.port = static_cast<uint16_t>(v);
  }
  return a;
}

std::string JoinHostPort(std::string_view host, uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

}  // namespace agentfleet
