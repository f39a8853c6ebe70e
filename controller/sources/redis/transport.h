#pragma once

// The byte pipe under Client: TCP or TLS over Boost.Asio, every operation
// bounded by a deadline. Internal to agentfleet_redis.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/redis/options.h"
#include "controller/sources/redis/resp.h"

namespace agentfleet::sources::redis {

class Transport {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  explicit Transport(const Options& options);
  ~Transport();

  // Resolve, connect and (for TLS) handshake, all before `deadline`.
  Status Open(Deadline deadline);
  // Writes `request` and reads exactly `replies` replies before `deadline`.
  // Any failure closes the transport: the stream would be out of step.
  Result<std::vector<Reply>> RoundTrip(const std::string& request, size_t replies,
                                       Deadline deadline, std::string_view what);
  bool open() const;
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentfleet::sources::redis
