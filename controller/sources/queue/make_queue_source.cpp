#include "controller/sources/queue/make_queue_source.h"

namespace agentfleet::sources::queue {
namespace {

struct Maker {
  Result<std::unique_ptr<QueueSource>> operator()(SqsConfig c) const {
    return MakeSqsSource(std::move(c));
  }
  Result<std::unique_ptr<QueueSource>> operator()(RabbitMqConfig c) const {
    return MakeRabbitMqSource(std::move(c));
  }
  Result<std::unique_ptr<QueueSource>> operator()(RedisShardedStreamsConfig c) const {
    return MakeRedisShardedStreamsSource(std::move(c));
  }
  Result<std::unique_ptr<QueueSource>> operator()(RedisStreamConfig c) const {
    return MakeRedisStreamSource(std::move(c));
  }
  Result<std::unique_ptr<QueueSource>> operator()(RedisListConfig c) const {
    return MakeRedisListSource(std::move(c));
  }
};

}  // namespace

Result<std::unique_ptr<QueueSource>> MakeQueueSource(QueueSourceConfig config) {
  return std::visit(Maker{}, std::move(config));
}

}  // namespace agentfleet::sources::queue
