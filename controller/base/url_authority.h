#pragma once

// The authority of a URL, [user[:password]@]host[:port] (RFC 3986 §3.2), as
// the store and queue URLs carry it, and its host:port written back.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet {

struct UrlAuthority {
  bool has_userinfo = false;
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded
  std::string host;      // as written, without an IPv6 address's brackets
  std::optional<uint16_t> port;
};

// The last '@' ends the user information, so that an unencoded '@' in a
// password still parses. kInvalidArgument saying what is wrong, never
// echoing the credentials: "bad percent-encoding in the credentials",
// "unterminated IPv6 address", "unexpected characters after the IPv6
// address", "port must be a number from 1 to 65535". An empty host is the
// caller's to refuse.
Result<UrlAuthority> ParseUrlAuthority(std::string_view authority);

// host:port, an IPv6 host in brackets.
std::string JoinHostPort(std::string_view host, uint16_t port);

}  // namespace agentfleet
