// A pricing-agent process taking its tasks from an SQS queue (ElasticMQ,
// fixture `elasticmq`), its leases and results in the fixture redis-server.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "controller/sources/protocol/shard.h"
#include "examples/agent/results/redis_result_store.h"
#include "examples/agent/task.h"
#include "examples/agent/task_message.h"
#include "tests/integration/agent/agent_process.h"
#include "tests/integration/agent/queues/sqs_test_support.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sources::queue::testing::UniqueToken;
constexpr uint32_t kShards = 4;
constexpr int kTasks = 50;

class SqsAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(mq_.endpoint().empty());
    char tmpl[] = "/tmp/agentfleet-sqs-agent-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fleet_ = "sqs-" + std::to_string(getpid());
    name_ = UniqueToken("prices");
    url_ = mq_.Create(name_);
    dead_url_ = mq_.Create(name_ + "-dead");
    sources::redis::Options o;
    o.port = static_cast<uint16_t>(RedisPort());
    results_ = std::move(results::RedisResultStore::Connect(o).value());
    file_ = dir_ + "/annotations";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::vector<std::string> Args() {
    const std::string redis = "redis://127.0.0.1:" + std::to_string(RedisPort());
    return {"--pod-name=agent-0",
            "--fleet=" + fleet_,
            "--shards=" + std::to_string(kShards),
            "--lease-store=" + redis,
            "--queue-backend=sqs",
            "--queue-url=" + mq_.endpoint(),
            "--queue-name=" + name_,
            "--sqs-region=us-east-1",
            "--visibility-timeout=10s",
            "--batch-size=10",
            "--assignment-file=" + file_,
            "--lease-duration=3s",
            "--poll-interval=100ms",
            "--tick=200ms",
            "--block=200ms",
            "--metrics-bind-address=127.0.0.1:0"};
  }

  queues::testing::ElasticMq mq_;
  std::string dir_, fleet_, name_, url_, dead_url_, file_;
  std::unique_ptr<results::RedisResultStore> results_;
  const std::string secret_ = UniqueToken("agent-secret-key");
};

TEST_F(SqsAgentTest, PricesEveryTaskOfTheQueueAndDeadLettersTheInvalidOne) {
  std::map<std::string, int64_t> base;  // product → base price
  for (int i = 0; i < kTasks; ++i) {
    const std::string product = "sku-" + std::to_string(i);
    base[product] = 1'000 + i;
    mq_.Send(url_,
             FormatTaskMessage({"t-" + std::to_string(i), product, base[product]}, {i + 1, 0}));
  }
  mq_.Send(url_, "this is no task");

  WriteFileAtomically(file_, AnnotationsFile(1, "0-3"));
  AgentProcess agent(Args(), dir_ + "/agent.log",
                     {{"AWS_ACCESS_KEY_ID", "AKIDAGENTTEST"},
                      {"AWS_SECRET_ACCESS_KEY", secret_},
                      {"AWS_SESSION_TOKEN", UniqueToken("agent-token")}});

  auto priced = [&] {
    for (const auto& [product, price] : base) {
      auto r = results_->Get(fleet_, product);
      if (!r.ok() || !r->has_value()) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually(priced, 30s)) << agent.Log();
  for (const auto& [product, price] : base) {
    const auto stored = results_->Get(fleet_, product);
    ASSERT_TRUE(stored.ok() && stored->has_value()) << product;
    EXPECT_EQ((**stored).price, Reprice(price)) << product;
    EXPECT_EQ((**stored).shard, sources::protocol::ShardOf(product, kShards)) << product;
  }
  ASSERT_TRUE(Eventually([&] { return mq_.Depth(url_) == 0; }, 10s))
      << "messages left: " << mq_.Depth(url_) << "\n"
      << agent.Log();

  const json dead = mq_.Drain(dead_url_);
  ASSERT_EQ(dead.size(), 1u) << dead.dump();
  EXPECT_EQ(dead[0]["Body"], "this is no task");
  EXPECT_FALSE(dead[0]["MessageAttributes"]["reason"]["StringValue"].get<std::string>().empty());
  EXPECT_EQ(dead[0]["MessageAttributes"]["source"]["StringValue"], name_);

  auto port = agent.MetricsPort(5s);
  ASSERT_TRUE(port.has_value()) << agent.Log();
  std::string body;
  ASSERT_EQ(HttpGet(*port, "/metrics", &body), 200);
  EXPECT_EQ(MetricValue(body, "pricing_agent_tasks_invalid_total"), 1.0) << body;
  EXPECT_GE(MetricValue(body, "pricing_agent_tasks_processed_total").value_or(0), kTasks) << body;
  // Every priced task's latency, from SQS's SentTimestamp.
  EXPECT_GE(MetricValue(body, "pricing_agent_task_latency_seconds_count").value_or(0), kTasks)
      << body;

  agent.Signal(SIGTERM);
  const auto code = agent.Wait(15s);
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 0) << agent.Log();
  EXPECT_EQ(agent.Log().find(secret_), std::string::npos) << "the secret key was logged";
}

TEST_F(SqsAgentTest, AMissingDeadLetterQueueStopsTheAgentAtStart) {
  WriteFileAtomically(file_, AnnotationsFile(1, "0-3"));
  auto args = Args();
  args.push_back("--dead-letter-queue=" + UniqueToken("absent"));
  AgentProcess agent(args, dir_ + "/agent.log",
                     {{"AWS_ACCESS_KEY_ID", "AKIDAGENTTEST"}, {"AWS_SECRET_ACCESS_KEY", secret_}});
  const auto code = agent.Wait(15s);
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 1) << agent.Log();
  EXPECT_NE(agent.Log().find("does not exist: create it, or set --dead-letter-queue"),
            std::string::npos)
      << agent.Log();
}

}  // namespace
}  // namespace agentfleet::agent::testing
