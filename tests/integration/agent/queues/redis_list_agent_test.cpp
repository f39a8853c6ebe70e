// pricing-agent processes taking their tasks from one Redis list that they
// share (--queue-backend redis-list): every task priced once under its
// shard's lease, the others' tasks given back, a killed agent's work not lost.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>

#include "controller/sources/lease/redis_lease_store.h"
#include "controller/sources/protocol/shard.h"
#include "controller/sources/redis/client.h"
#include "examples/agent/queues/redis_list_queue.h"
#include "examples/agent/results/redis_result_store.h"
#include "examples/agent/task_message.h"
#include "tests/integration/agent/agent_process.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;
constexpr uint32_t kShards = 4;

class RedisListAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = "redis://127.0.0.1:" + std::to_string(RedisPort());
    char tmpl[] = "/tmp/agentfleet-list-agent-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fleet_ = "list-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
    key_ = "tasks:" + fleet_;
    sources::redis::Options o;
    o.port = static_cast<uint16_t>(RedisPort());
    redis_ = std::move(sources::redis::Client::Connect(o).value());
    leases_ = std::move(sources::lease::RedisLeaseStore::Connect(o).value());
    results_ = std::move(results::RedisResultStore::Connect(o).value());
  }
  void TearDown() override {
    auto keys = redis_->Command({"KEYS", key_ + "*"});
    if (keys.ok()) {
      for (const auto& k : keys->elements) (void)redis_->Command({"DEL", k.str});
    }
    (void)results_->DeleteFleet(fleet_);
    std::system(("rm -rf " + dir_).c_str());
  }

  std::vector<std::string> Args(const std::string& pod, const std::string& file,
                                std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"--pod-name=" + pod,
                                  "--fleet=" + fleet_,
                                  "--shards=" + std::to_string(kShards),
                                  "--lease-store=" + url_,
                                  "--queue-backend=redis-list",
                                  "--queue-url=" + url_,
                                  "--queue-name=" + key_,
                                  "--assignment-file=" + file,
                                  "--assignment-from-store=false",
                                  "--lease-duration=2s",
                                  "--poll-interval=100ms",
                                  "--tick=200ms",
                                  "--block=100ms",
                                  "--batch-size=8",
                                  "--claim-min-idle=1s",
                                  "--metrics-bind-address=127.0.0.1:0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // `n` tasks "<tag>-<i>" (product = task id, price 100 + i), appended to the list.
  std::map<std::string, int64_t> Push(const std::string& tag, int n) {
    std::map<std::string, int64_t> out;
    sources::redis::Client::Args cmd{"RPUSH", key_};
    for (int i = 0; i < n; ++i) {
      std::string id = tag + "-" + std::to_string(i);
      out[id] = 100 + i;
      cmd.push_back(FormatTaskMessage({id, id, 100 + i}, {i + 1, 0}));
    }
    EXPECT_TRUE(redis_->Command(cmd).ok());
    return out;
  }

  bool AllPriced(const std::map<std::string, int64_t>& tasks) {
    for (const auto& [product, base] : tasks) {
      auto r = results_->Get(fleet_, product);
      if (!r.ok() || !r->has_value() || (*r)->price != Reprice(base)) return false;
    }
    return true;
  }

  int64_t Len(const std::string& key) {
    auto r = redis_->Command({"LLEN", key});
    return r.ok() ? r->integer : -1;
  }

  // Every in-work list of the queue, summed.
  int64_t InWork() {
    auto keys = redis_->Command({"KEYS", key_ + ":processing:*"});
    int64_t n = 0;
    if (keys.ok()) {
      for (const auto& k : keys->elements) n += Len(k.str);
    }
    return n;
  }

  // Each priced product's token is the one its shard's lease carried.
  void ExpectFencedByTheHolders(const std::map<std::string, int64_t>& tasks) {
    for (const auto& [product, base] : tasks) {
      auto r = results_->Get(fleet_, product);
      ASSERT_TRUE(r.ok() && r->has_value()) << product;
      EXPECT_EQ((*r)->shard, sources::protocol::ShardOf(product, kShards));
      auto mark = results_->HighWater(fleet_, (*r)->shard);
      ASSERT_TRUE(mark.ok());
      EXPECT_LE((*r)->token, *mark);
    }
  }

  std::string url_, dir_, fleet_, key_;
  std::unique_ptr<sources::redis::Client> redis_;
  std::unique_ptr<sources::lease::RedisLeaseStore> leases_;
  std::unique_ptr<results::RedisResultStore> results_;
};

TEST_F(RedisListAgentTest, OneAgentPricesEveryTaskAndDeadLettersTheRest) {
  const std::string file = dir_ + "/a";
  WriteFileAtomically(file, AnnotationsFile(1, "0-3"));
  auto tasks = Push("a", 60);
  ASSERT_TRUE(redis_->Command({"RPUSH", key_, "{\"task\":\"broken\"}"}).ok());
  AgentProcess agent(Args("agent-0", file), dir_ + "/agent.log");

  ASSERT_TRUE(Eventually([&] { return AllPriced(tasks); }, 20s)) << agent.Log();
  ASSERT_TRUE(Eventually([&] { return Len(key_) == 0 && InWork() == 0; }, 5s)) << agent.Log();
  EXPECT_EQ(Len(key_ + ":dead"), 1);
  ExpectFencedByTheHolders(tasks);

  auto port = agent.MetricsPort(5s);
  ASSERT_TRUE(port.has_value());
  std::string body;
  ASSERT_EQ(HttpGet(*port, "/metrics", &body), 200);
  EXPECT_EQ(MetricValue(body, "pricing_agent_tasks_processed_total"), 60.0) << body;
  EXPECT_EQ(MetricValue(body, "pricing_agent_tasks_invalid_total"), 1.0) << body;
  EXPECT_EQ(MetricValue(body, "pricing_agent_tasks_received_total"), 61.0) << body;

  agent.Signal(SIGTERM);
  auto code = agent.Wait(10s);
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 0) << agent.Log();
}

TEST_F(RedisListAgentTest, TwoAgentsSplitTheShardsAndGiveEachOthersTasksBack) {
  const std::string fa = dir_ + "/a", fb = dir_ + "/b";
  WriteFileAtomically(fa, AnnotationsFile(1, "0-1"));
  WriteFileAtomically(fb, AnnotationsFile(1, "2-3"));
  AgentProcess a(Args("agent-a", fa), dir_ + "/a.log");
  AgentProcess b(Args("agent-b", fb), dir_ + "/b.log");
  auto tasks = Push("b", 120);

  ASSERT_TRUE(Eventually([&] { return AllPriced(tasks); }, 30s)) << a.Log() << b.Log();
  ASSERT_TRUE(Eventually([&] { return Len(key_) == 0 && InWork() == 0; }, 5s));
  ExpectFencedByTheHolders(tasks);

  double processed = 0, returned = 0, received = 0;
  for (auto* p : {&a, &b}) {
    auto port = p->MetricsPort(5s);
    ASSERT_TRUE(port.has_value());
    std::string body;
    ASSERT_EQ(HttpGet(*port, "/metrics", &body), 200);
    processed += MetricValue(body, "pricing_agent_tasks_processed_total").value_or(0);
    received += MetricValue(body, "pricing_agent_tasks_received_total").value_or(0);
    returned +=
        MetricValue(body, "pricing_agent_tasks_returned_total{reason=\"not_held\"}").value_or(0);
  }
  // At least once: a task may be priced twice only if a settle failed.
  EXPECT_EQ(processed, 120.0);
  EXPECT_GT(returned, 0.0) << "each agent received tasks of the other's shards";
  std::cout << "2 agents, 1 shared list: " << received << " receives for " << processed
            << " tasks priced (" << received / processed << " per task)\n";
}

TEST_F(RedisListAgentTest, AKilledAgentsTasksInWorkArePricedByItsSuccessor) {
  const std::string fa = dir_ + "/a", fb = dir_ + "/b";
  WriteFileAtomically(fa, AnnotationsFile(1, "0-3"));
  WriteFileAtomically(fb, AnnotationsFile(1, ""));
  auto a =
      std::make_unique<AgentProcess>(Args("agent-a", fa, {"--task-time=200ms"}), dir_ + "/a.log");
  AgentProcess b(Args("agent-b", fb), dir_ + "/b.log");
  auto tasks = Push("k", 40);
  // Killed with a batch in work (8 tasks × 200 ms).
  ASSERT_TRUE(Eventually([&] { return InWork() > 0; }, 10s)) << a->Log();
  a->Signal(SIGKILL);
  ASSERT_TRUE(a->Wait(5s).has_value());
  EXPECT_GT(InWork(), 0);
  // The operator would move the shards: b gets them once a's leases expire.
  WriteFileAtomically(fb, AnnotationsFile(2, "0-3"));

  ASSERT_TRUE(Eventually([&] { return AllPriced(tasks); }, 30s)) << b.Log();
  ASSERT_TRUE(Eventually([&] { return Len(key_) == 0 && InWork() == 0; }, 5s)) << b.Log();
  ExpectFencedByTheHolders(tasks);
  EXPECT_NE(b.Log().find("leases acquired"), std::string::npos) << b.Log();
}

}  // namespace
}  // namespace agentfleet::agent::testing
