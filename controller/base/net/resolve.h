#pragma once

// Name resolution with a deadline, for every client that opens its own
// sockets. getaddrinfo cannot be cancelled and may block for as long as the
// system resolver likes (a dead DNS server costs tens of seconds), which would
// break the promise that no call to a backend outlives its deadline.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::net {

using Deadline = std::chrono::steady_clock::time_point;

// The numeric addresses `host` stands for ("10.0.0.7", "::1", "fe80::1%eth0"),
// in the system's order of preference. An IPv4 or IPv6 literal comes back as it
// is, without a lookup. Returns by `deadline`, whatever the resolver does:
//   kTimeout          no answer by the deadline
//   kUnavailable      the name does not resolve
//   kInvalidArgument  an empty host
// Messages name the host; they carry nothing else of the caller's.
Result<std::vector<std::string>> ResolveHost(const std::string& host, Deadline deadline);

// A blocking lookup, as getaddrinfo is; tests pass a slow one to reach the
// deadline without a slow DNS server.
using Lookup = std::function<Result<std::vector<std::string>>(const std::string& host)>;
Result<std::vector<std::string>> ResolveHost(const std::string& host, Deadline deadline,
                                             Lookup lookup);

}  // namespace agentfleet::net
