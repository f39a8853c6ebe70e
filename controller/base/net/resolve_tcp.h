#pragma once

// ResolveHost for Boost.Asio clients. Header-only, so that agentfleet_net
// itself needs no Boost and a client without Asio (libpq) does not pay for it.

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

#include "controller/base/net/resolve.h"

namespace agentfleet::net {

// host:port as endpoints to try in order, with ResolveHost's deadline and
// errors.
inline Result<std::vector<boost::asio::ip::tcp::endpoint>> ResolveTcp(const std::string& host,
                                                                      std::uint16_t port,
                                                                      Deadline deadline) {
  auto addresses = ResolveHost(host, deadline);
  if (!addresses.ok()) return addresses.error();
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  for (const auto& a : *addresses) endpoints.emplace_back(boost::asio::ip::make_address(a), port);
  return endpoints;
}

}  // namespace agentfleet::net
