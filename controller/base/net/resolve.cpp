#include "controller/base/net/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace agentfleet::net {
namespace {

bool IsAddressLiteral(const std::string& host) {
  in_addr a4;
  in6_addr a6;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

Error Unresolvable(const std::string& host, std::string_view why) {
  return MakeError(ErrorCode::kUnavailable, "cannot resolve " + host + ": " + std::string(why));
}

Result<std::vector<std::string>> GetAddrInfo(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0)
    return Unresolvable(host, rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc));
  std::vector<std::string> addresses;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char buf[NI_MAXHOST] = {};
    if (getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0) {
      addresses.emplace_back(buf);
    }
  }
  freeaddrinfo(res);
  if (addresses.empty()) return Unresolvable(host, "no usable address");
  return addresses;
}

}  // namespace

Result<std::vector<std::string>> ResolveHost(const std::string& host, Deadline deadline) {
  return ResolveHost(host, deadline, GetAddrInfo);
}

Result<std::vector<std::string>> ResolveHost(const std::string& host, Deadline deadline,
                                             Lookup lookup) {
  if (host.empty()) return MakeError(ErrorCode::kInvalidArgument, "no host name to resolve");
  if (IsAddressLiteral(host)) return std::vector<std::string>{host};

  // A lookup cannot be cancelled: it runs on a detached thread that owns its
  // state, so that on the deadline the caller walks away and the thread
  // finishes on its own.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<std::vector<std::string>>> answer;
  };
  auto state = std::make_shared<State>();
  std::thread([state, host, lookup = std::move(lookup)] {
    auto answer = lookup(host);
    std::lock_guard lock(state->mu);
    state->answer.emplace(std::move(answer));
    state->cv.notify_all();
  }).detach();

  std::unique_lock lock(state->mu);
  if (!state->cv.wait_until(lock, deadline, [&] { return state->answer.has_value(); })) {
    return MakeError(ErrorCode::kTimeout, "cannot resolve " + host + ": no answer in time");
  }
  return std::move(*state->answer);
}

}  // namespace agentfleet::net
