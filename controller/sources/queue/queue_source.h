#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::sources::queue {

// The backlog a fleet scales on. `shards` is filled only by partitioned
// sources (one entry per shard, index = shard number) and then sums to `total`.
struct QueueDepth {
  int64_t total = 0;
  std::vector<int64_t> shards;
};

// One queue-depth source: SQS, RabbitMQ, Redis streams/lists. A reading either
// succeeds or fails with a typed Error within the source's configured timeout:
//   kUnavailable       connection refused or reset, TLS failure, 5xx
//   kTimeout           no complete answer within the timeout
//   kUnauthorized      the credentials were rejected
//   kForbidden         the credentials are valid but lack the right
//   kNotFound          the queue (or vhost) does not exist
//   kInvalidArgument   the configuration cannot work (reported at construction)
//   kTooManyRequests   throttled
//   kInternal          an answer this code does not understand
// Error messages never contain credentials.
class QueueSource {
 public:
  virtual ~QueueSource() = default;
  virtual Result<QueueDepth> ReadDepth() = 0;
  // Kind and location for logs and events, never credentials
  // (e.g. "rabbitmq queue orders in vhost / at http://10.0.0.5:15672").
  virtual std::string Describe() const = 0;
};

}  // namespace agentfleet::sources::queue
