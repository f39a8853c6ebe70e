#pragma once

#include <memory>
#include <string>

#include "controller/sources/queue/queue_source.h"
#include "controller/sources/redis/options.h"

// Queue-depth sources on Redis, over the project's Redis client
// (controller/sources/redis). A reading takes at most
// server.connect_timeout (only when it must reconnect) + server.command_timeout.
// Stream depths follow the rules in redis_stream_depth.h.
namespace agentfleet::sources::queue {

// One stream per shard, "<key_prefix>:<shard>" for shard 0..shards-1, read in
// one pipelined round trip; depth per shard = the group's lag + pending.
struct RedisShardedStreamsConfig {
  redis::Options server;
  std::string key_prefix;
  int shards = 0;
  std::string group;
};

// One stream: the group's lag + pending, or XLEN when group is empty.
struct RedisStreamConfig {
  redis::Options server;
  std::string key;
  std::string group;
};

// A plain list used as a queue: LLEN.
struct RedisListConfig {
  redis::Options server;
  std::string key;
};

// kInvalidArgument when the configuration cannot work. None connects yet: the
// first reading does, so that a source can be made while Redis is down.
Result<std::unique_ptr<QueueSource>> MakeRedisShardedStreamsSource(
    RedisShardedStreamsConfig config);
Result<std::unique_ptr<QueueSource>> MakeRedisStreamSource(RedisStreamConfig config);
Result<std::unique_ptr<QueueSource>> MakeRedisListSource(RedisListConfig config);

}  // namespace agentfleet::sources::queue
