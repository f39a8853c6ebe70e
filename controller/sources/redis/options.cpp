#include "controller/sources/redis/options.h"

#include <charconv>
#include <optional>

#include "controller/base/percent.h"

namespace agentfleet::sources::redis {
namespace {

Error Bad(std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, "redis URL: " + why);
}

}  // namespace

std::string Options::Endpoint() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Options> ParseUrl(std::string_view url) {
  Options o;
  constexpr std::string_view kPlain = "redis://", kTls = "rediss://";
  if (url.starts_with(kPlain)) {
    url.remove_prefix(kPlain.size());
  } else if (url.starts_with(kTls)) {
    url.remove_prefix(kTls.size());
    o.tls = true;
  } else {
    return Bad("scheme must be redis:// or rediss://");
  }
  std::string_view authority = url.substr(0, url.find('/'));
  std::string_view path = authority.size() < url.size() ? url.substr(authority.size() + 1) : "";

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
    o.username = *u;
    o.password = *p;
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
  if (host.empty()) return Bad("missing host");
  o.host = std::string(host);
  if (!port.empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || end != port.data() + port.size() || v == 0 || v > 65535) {
      return Bad("port must be a number from 1 to 65535");
    }
    o.port = static_cast<uint16_t>(v);
  }
  if (!path.empty()) {
    int db = 0;
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || end != path.data() + path.size() || db < 0) {
      return Bad("database must be a non-negative number");
    }
    o.db = db;
  }
  return o;
}

}  // namespace agentfleet::sources::redis
