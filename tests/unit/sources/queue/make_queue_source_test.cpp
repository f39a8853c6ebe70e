#include "controller/sources/queue/make_queue_source.h"

#include <gtest/gtest.h>

#include "controller/sources/protocol/shard.h"

namespace agentfleet::sources::queue {
namespace {

TEST(MakeQueueSourceTest, BuildsTheSourceOfEachKind) {
  SqsConfig sqs;
  sqs.queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders";
  sqs.credentials = {"AKIDTEST", "secret-make-test-1", ""};
  RabbitMqConfig rabbit;
  rabbit.endpoint = "http://127.0.0.1:15672";
  rabbit.queue = "orders";
  rabbit.credentials = {"user", "secret-make-test-2"};
  sources::redis::Options server;
  server.password = "secret-make-test-3";

  const std::vector<std::pair<QueueSourceConfig, std::string>> cases = {
      {sqs, "sqs queue "},
      {rabbit, "rabbitmq queue orders"},
      {RedisShardedStreamsConfig{server, "tasks", 8, "agents"}, "redis streams tasks:0..7"},
      {RedisStreamConfig{server, "tasks", "agents"}, "redis stream tasks group agents"},
      {RedisListConfig{server, "tasks"}, "redis list tasks"},
  };
  for (const auto& [config, prefix] : cases) {
    auto source = MakeQueueSource(config);
    ASSERT_TRUE(source.ok()) << source.error().ToString();
    const std::string described = (*source)->Describe();
    EXPECT_EQ(described.rfind(prefix, 0), 0u) << described;
    EXPECT_EQ(described.find("secret-make-test"), std::string::npos) << described;
  }
}

TEST(MakeQueueSourceTest, PassesConfigurationErrorsThrough) {
  auto source = MakeQueueSource(RedisListConfig{});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, ErrorCode::kInvalidArgument);
}

// The sharded streams source takes every shard count a fleet may have
// (protocol::kMaxShards, the CRD's maximum) and no more.
TEST(MakeQueueSourceTest, ShardedStreamsTakeEveryShardCountAFleetMayHave) {
  sources::redis::Options server;
  server.host = "127.0.0.1";
  server.port = 6379;
  const int most = static_cast<int>(protocol::kMaxShards);
  EXPECT_TRUE(MakeQueueSource(RedisShardedStreamsConfig{server, "tasks", most, "agents"}).ok());
  auto over = MakeQueueSource(RedisShardedStreamsConfig{server, "tasks", most + 1, "agents"});
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("shards must be between 1 and 65536"), std::string::npos)
      << over.error().message;
}

}  // namespace
}  // namespace agentfleet::sources::queue
