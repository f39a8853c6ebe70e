#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::sources::queue {

// An http(s) endpoint split into what a request needs.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  uint16_t port = 0;
  std::string path = "/";  // as given, already percent-encoded
  std::string query;       // after '?', as given

  bool tls() const { return scheme == "https"; }
  // The Host header: the port is left out when it is the scheme's default.
  std::string HostHeader() const;
  // scheme://host[:port], for messages.
  std::string Origin() const;
};

// Parses http://host[:port][/path][?query]. User information in the URL is
// refused (credentials have their own fields) and never echoed in the error.
Result<Url> ParseUrl(std::string_view text);

// RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - . _ ~ is encoded,
// '/' included unless keep_slash.
std::string PercentEncode(std::string_view text, bool keep_slash = false);

}  // namespace agentfleet::sources::queue
