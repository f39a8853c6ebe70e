#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "controller/sources/queue/queue_source.h"
#include "controller/sources/queue/source_config.h"

namespace agentfleet::sources::queue {

// A RabbitMQ queue through the management HTTP API
// (GET /api/queues/{vhost}/{queue}). Depth = messages_ready, plus
// messages_unacknowledged when include_unacked. The counters are the broker's
// statistics, refreshed every collect_statistics_interval (5 s by default).
struct RabbitMqConfig {
  std::string endpoint;  // http(s)://host:15672, optionally with a path prefix
  std::string vhost = "/";
  std::string queue;
  BasicCredentials credentials;
  bool include_unacked = false;
  TlsConfig tls;
  std::chrono::milliseconds timeout = kDefaultSourceTimeout;
};

// kInvalidArgument when the configuration cannot work.
Result<std::unique_ptr<QueueSource>> MakeRabbitMqSource(RabbitMqConfig config);

}  // namespace agentfleet::sources::queue
