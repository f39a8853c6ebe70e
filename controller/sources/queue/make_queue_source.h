#pragma once

#include <memory>
#include <variant>

#include "controller/sources/queue/queue_source.h"
#include "controller/sources/queue/rabbitmq_source.h"
#include "controller/sources/queue/redis_source.h"
#include "controller/sources/queue/sqs_source.h"

namespace agentfleet::sources::queue {

// Every kind of queue a fleet can scale on, as one value the fleet spec
// translates into.
using QueueSourceConfig = std::variant<SqsConfig, RabbitMqConfig, RedisShardedStreamsConfig,
                                       RedisStreamConfig, RedisListConfig>;

// The source for a configuration; kInvalidArgument when it cannot work.
Result<std::unique_ptr<QueueSource>> MakeQueueSource(QueueSourceConfig config);

}  // namespace agentfleet::sources::queue
