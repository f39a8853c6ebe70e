#include "examples/agent/queues/amqp_url.h"

#include <charconv>
#include <optional>

#include "controller/base/percent.h"
#include "controller/base/url_authority.h"

namespace agentfleet::agent::queues {
namespace {

Error Bad(std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, "AMQP URL: " + why);
}

std::optional<int64_t> Number(std::string_view s, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v > max) {
    return std::nullopt;
  }
  return v;
}

Status ParseQuery(std::string_view query, AmqpUrl& u) {
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq));
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key || !value) return Bad("bad percent-encoding in the query");
    if (*key == "heartbeat") {
      auto v = Number(*value, 65'535);
      if (!v) return Bad("heartbeat must be a number of seconds from 0 to 65535");
      u.heartbeat = std::chrono::seconds(*v);
    } else if (*key == "connection_timeout") {
      auto v = Number(*value, 3'600'000);
      if (!v || *v == 0) return Bad("connection_timeout must be milliseconds from 1 to 3600000");
      u.connection_timeout = std::chrono::milliseconds(*v);
    } else if (*key == "cacertfile" || *key == "certfile" || *key == "keyfile") {
      if (!u.tls) return Bad(*key + " needs amqps://");
      (*key == "cacertfile" ? u.ca_file : *key == "certfile" ? u.cert_file : u.key_file) = *value;
    } else {
      return Bad("unsupported query parameter '" + *key +
                 "' (supported: heartbeat, connection_timeout, cacertfile, certfile, keyfile)");
    }
  }
  if (u.cert_file.empty() != u.key_file.empty()) {
    return Bad("certfile and keyfile go together");
  }
  return Ok{};
}

}  // namespace

std::string AmqpUrl::Endpoint() const {
  return JoinHostPort(host, port);
}

Result<AmqpUrl> ParseAmqpUrl(std::string_view url) {
  AmqpUrl u;
  constexpr std::string_view kPlain = "amqp://", kTls = "amqps://";
  if (url.starts_with(kPlain)) {
    url.remove_prefix(kPlain.size());
  } else if (url.starts_with(kTls)) {
    url.remove_prefix(kTls.size());
    u.tls = true;
    u.port = 5671;
  } else {
    return Bad("scheme must be amqp:// or amqps://");
  }
  if (url.find('#') != std::string_view::npos) return Bad("a fragment (#) has no meaning here");
  std::string_view query;
  if (auto q = url.find('?'); q != std::string_view::npos) {
    query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  std::string_view authority = url.substr(0, url.find('/'));
  std::string_view path = authority.size() < url.size() ? url.substr(authority.size() + 1) : "";

  auto a = ParseUrlAuthority(authority);
  if (!a.ok()) return Bad(a.error().message);
  if (a->has_userinfo) {
    if (a->user.empty()) return Bad("empty user name");
    u.user = std::move(a->user);
    u.password = std::move(a->password);
  }
  // Unlike Redis, RabbitMQ's URI spec percent-decodes the host too.
  auto host = PercentDecode(a->host);
  if (!host || host->empty()) return Bad("missing host");
  u.host = std::move(*host);
  if (a->port) u.port = *a->port;

  if (path.find('/') != std::string_view::npos) {
    return Bad("the vhost is one path segment: write a '/' in its name as %2F");
  }
  auto vhost = PercentDecode(path);
  if (!vhost) return Bad("bad percent-encoding in the vhost");
  if (!vhost->empty()) u.vhost = *vhost;
  if (auto s = ParseQuery(query, u); !s.ok()) return s.error();
  return u;
}

}  // namespace agentfleet::agent::queues
