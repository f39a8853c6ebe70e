#include "controller/sources/queue/url.h"

#include <cctype>
#include <charconv>

#include "controller/base/url_authority.h"

namespace agentfleet::sources::queue {

std::string Url::HostHeader() const {
  const bool bracket = host.find(':') != std::string::npos;
  std::string h = bracket ? "[" + host + "]" : host;
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

std::string Url::Origin() const {
  return scheme + "://" + JoinHostPort(host, port);
}

Result<Url> ParseUrl(std::string_view text) {
  Url url;
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "endpoint has no scheme (want http:// or https://)");
  }
  url.scheme = std::string(text.substr(0, sep));
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "endpoint scheme \"" + url.scheme + "\" is not http or https");
  }
  std::string_view rest = text.substr(sep + 3);
  const size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view tail = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "endpoint must not carry user information; use the credentials fields");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "endpoint has an unclosed IPv6 bracket");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return MakeError(ErrorCode::kInvalidArgument, "endpoint has junk after the IPv6 address");
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return MakeError(ErrorCode::kInvalidArgument, "endpoint has no host");
  url.port = url.tls() ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "endpoint port \"" + std::string(port_text) + "\" is not a port number");
    }
    url.port = static_cast<uint16_t>(value);
  }
  const size_t q = tail.find('?');
  std::string_view path = tail.substr(0, q);
  url.path = path.empty() ? "/" : std::string(path);
  if (q != std::string_view::npos) url.query = std::string(tail.substr(q + 1));
  const size_t frag = url.query.find('#');
  if (frag != std::string::npos) url.query.resize(frag);
  return url;
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace agentfleet::sources::queue
