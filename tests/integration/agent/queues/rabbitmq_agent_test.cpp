// A pricing-agent process taking its tasks from a RabbitMQ queue (fixtures
// `rabbitmq` and `redis`: leases and results in Redis).

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "controller/sources/redis/options.h"
#include "examples/agent/results/redis_result_store.h"
#include "examples/agent/task.h"
#include "examples/agent/task_message.h"
#include "tests/integration/agent/agent_process.h"
#include "tests/integration/agent/queues/rabbitmq_broker.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;
using queues::testing::Broker;
using queues::testing::UniqueName;

TEST(RabbitMqAgentTest, PricesEveryTaskOfTheQueueAndDeadLettersTheInvalidOne) {
  Broker broker;
  const std::string queue = broker.DeclareQueue("pricing");
  const std::string fleet = UniqueName("rabbit");
  char tmpl[] = "/tmp/agentfleet-rabbitmq-agent-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string file = dir + "/annotations";
  WriteFileAtomically(file, AnnotationsFile(1, "0-3"));

  constexpr int kTasks = 50;
  for (int i = 0; i < kTasks; ++i) {
    const std::string id = "sku-" + std::to_string(i);
    broker.Publish(queue, FormatTaskMessage(Task{"t-" + std::to_string(i), id, 1000 + i}, {}),
                   1'700'000'000 + i);
  }
  broker.Publish(queue, "{\"task\": \"no product\"}");

  sources::redis::Options redis;
  redis.port = static_cast<uint16_t>(RedisPort());
  const std::string redis_url = "redis://127.0.0.1:" + std::to_string(redis.port);
  auto results = std::move(results::RedisResultStore::Connect(redis).value());

  AgentProcess agent(
      {"--pod-name=agent-0", "--fleet=" + fleet, "--shards=4", "--lease-store=" + redis_url,
       "--queue-backend=rabbitmq", "--queue-url=" + broker.Url(broker.user()),
       "--queue-name=" + queue, "--batch-size=8", "--assignment-file=" + file,
       "--lease-duration=3s", "--poll-interval=100ms", "--tick=200ms", "--block=100ms",
       "--metrics-bind-address=0"},
      dir + "/agent.log", {{"AGENTFLEET_QUEUE_PASSWORD", broker.password()}});

  auto priced = [&] {
    for (int i = 0; i < kTasks; ++i) {
      auto r = results->Get(fleet, "sku-" + std::to_string(i));
      if (!r.ok() || !r->has_value()) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually(priced, 30s)) << agent.Log();
  for (int i = 0; i < kTasks; ++i) {
    auto r = results->Get(fleet, "sku-" + std::to_string(i));
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((**r).price, Reprice(1000 + i)) << i;
  }
  ASSERT_TRUE(Eventually([&] { return broker.Ready(queue + ".dead") == 1; }, 10s)) << agent.Log();

  agent.Signal(SIGTERM);
  auto code = agent.Wait(15s);
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 0) << agent.Log();
  // Closed: whatever it had not acked would be ready again.
  EXPECT_EQ(broker.Ready(queue), 0);
  auto dead = broker.Get(queue + ".dead");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, "{\"task\": \"no product\"}");
  EXPECT_NE(dead->headers["x-agentfleet-reason"], "");
  EXPECT_EQ(dead->headers["x-agentfleet-source"], queue);
  const std::string log = agent.Log();
  EXPECT_EQ(log.find(broker.password()), std::string::npos) << log;
  std::system(("rm -rf " + dir).c_str());
}

TEST(RabbitMqAgentTest, AMissingQueueStopsTheStartNamingIt) {
  Broker broker;
  const std::string queue = UniqueName("absent");
  char tmpl[] = "/tmp/agentfleet-rabbitmq-agent-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  WriteFileAtomically(dir + "/annotations", AnnotationsFile(1, "0"));
  AgentProcess agent(
      {"--pod-name=agent-0", "--fleet=" + UniqueName("rabbit"), "--shards=1",
       "--lease-store=redis://127.0.0.1:" + std::to_string(RedisPort()), "--queue-backend=rabbitmq",
       "--queue-url=" + broker.Url(broker.user()), "--queue-name=" + queue,
       "--assignment-file=" + dir + "/annotations", "--metrics-bind-address=0"},
      dir + "/agent.log", {{"AGENTFLEET_QUEUE_PASSWORD", broker.password()}});
  auto code = agent.Wait(15s);
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 1) << agent.Log();
  const std::string log = agent.Log();
  EXPECT_NE(log.find(queue), std::string::npos) << log;
  EXPECT_NE(log.find("does not exist"), std::string::npos) << log;
  EXPECT_EQ(log.find(broker.password()), std::string::npos) << log;
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace agentfleet::agent::testing
