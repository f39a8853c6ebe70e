#include "controller/sources/redis/options.h"

#include <charconv>
#include <optional>

#include "controller/base/url_authority.h"

namespace agentfleet::sources::redis {
namespace {

Error Bad(std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, "redis URL: " + why);
}

}  // namespace

std::string Options::Endpoint() const {
  return JoinHostPort(host, port);
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

  auto a = ParseUrlAuthority(authority);
  if (!a.ok()) return Bad(a.error().message);
  if (a->has_userinfo) {
    o.username = std::move(a->user);
    o.password = std::move(a->password);
  }
  if (a->host.empty()) return Bad("missing host");
  o.host = std::move(a->host);
  if (a->port) o.port = *a->port;
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
