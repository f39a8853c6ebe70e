// One pricing-agent process against a real redis-server (CTest fixture
// `redis`), its assignment in a downward-API style file.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "controller/sources/lease/redis_lease_store.h"
#include "controller/sources/protocol/shard.h"
#include "controller/sources/redis/client.h"
#include "examples/agent/results/redis_result_store.h"
#include "examples/agent/task.h"
#include "tests/integration/agent/agent_process.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;
constexpr uint32_t kShards = 8;

class SingleAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = RedisPort();
    url_ = "redis://127.0.0.1:" + std::to_string(port_);
    char tmpl[] = "/tmp/agentfleet-agent-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fleet_ = "single-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
    prefix_ = "tasks:" + fleet_;
    sources::redis::Options o;
    o.port = static_cast<uint16_t>(port_);
    redis_ = std::move(sources::redis::Client::Connect(o).value());
    leases_ = std::move(sources::lease::RedisLeaseStore::Connect(o).value());
    results_ = std::move(results::RedisResultStore::Connect(o).value());
    file_ = dir_ + "/annotations";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::vector<std::string> Args() {
    return {"--pod-name=agent-0",
            "--fleet=" + fleet_,
            "--shards=" + std::to_string(kShards),
            "--lease-store=" + url_,
            "--queue-url=" + url_,
            "--queue-prefix=" + prefix_,
            "--assignment-file=" + file_,
            "--lease-duration=3s",
            "--poll-interval=100ms",
            "--tick=200ms",
            "--block=100ms",
            "--claim-min-idle=500ms",
            "--metrics-bind-address=127.0.0.1:0"};
  }

  // Pushes `n` tasks "<tag>-<i>" (product = task id) and returns product → shard.
  std::map<std::string, uint32_t> Push(const std::string& tag, int n) {
    std::map<std::string, uint32_t> out;
    std::vector<sources::redis::Client::Args> cmds;
    for (int i = 0; i < n; ++i) {
      std::string id = tag + "-" + std::to_string(i);
      uint32_t shard = sources::protocol::ShardOf(id, kShards);
      out[id] = shard;
      cmds.push_back({"XADD", prefix_ + ":" + std::to_string(shard), "*", "task", id, "product", id,
                      "price", std::to_string(100 + i)});
    }
    EXPECT_TRUE(redis_->Pipeline(cmds).ok());
    return out;
  }

  std::map<uint32_t, std::string> ValidHolders() {
    auto snap = leases_->Snapshot(fleet_);
    std::map<uint32_t, std::string> out;
    if (!snap.ok()) return out;
    for (const auto& r : snap->records) {
      if (r.ValidAt(snap->now_ms)) out[r.shard] = r.holder;
    }
    return out;
  }

  bool HoldsExactly(const std::vector<uint32_t>& shards) {
    auto held = ValidHolders();
    if (held.size() != shards.size()) return false;
    for (uint32_t s : shards) {
      if (held.count(s) == 0 || held[s].rfind("agent-0/", 0) != 0) return false;
    }
    return true;
  }

  int64_t Pending(uint32_t shard) {
    auto r = redis_->Command({"XPENDING", prefix_ + ":" + std::to_string(shard), "pricing-agents"});
    if (!r.ok() || !r->IsArray() || r->elements.empty()) return -1;
    return r->elements[0].integer;
  }

  int port_ = 0;
  std::string url_, dir_, fleet_, prefix_, file_;
  std::unique_ptr<sources::redis::Client> redis_;
  std::unique_ptr<sources::lease::RedisLeaseStore> leases_;
  std::unique_ptr<results::RedisResultStore> results_;
};

TEST_F(SingleAgentTest, HoldsItsShardsProcessesFencedAndReleasesOnSigterm) {
  WriteFileAtomically(file_, AnnotationsFile(1, "0-3"));
  AgentProcess agent(Args(), dir_ + "/agent.log");
  ASSERT_TRUE(Eventually([&] { return HoldsExactly({0, 1, 2, 3}); }, 10s)) << agent.Log();

  auto tasks = Push("a", 200);
  auto processed = [&] {
    for (const auto& [product, shard] : tasks) {
      if (shard >= 4) continue;
      auto r = results_->Get(fleet_, product);
      if (!r.ok() || !r->has_value()) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually(processed, 10s)) << agent.Log();

  int mine = 0;
  for (const auto& [product, shard] : tasks) {
    auto r = results_->Get(fleet_, product);
    ASSERT_TRUE(r.ok());
    if (shard >= 4) {
      EXPECT_FALSE(r->has_value()) << product << " of unassigned shard " << shard;
      continue;
    }
    ++mine;
    const results::StoredPrice& p = **r;
    int i = std::stoi(product.substr(2));
    EXPECT_EQ(p.price, Reprice(100 + i));
    EXPECT_EQ(p.shard, shard);
    // The token is the one of the agent's lease on that shard.
    auto snap = leases_->Snapshot(fleet_);
    ASSERT_TRUE(snap.ok());
    ASSERT_NE(snap->Valid(shard), nullptr);
    EXPECT_EQ(p.token, snap->Valid(shard)->token);
    EXPECT_EQ(*results_->HighWater(fleet_, shard), p.token);
  }
  EXPECT_GT(mine, 50);
  for (uint32_t s = 0; s < 4; ++s) EXPECT_EQ(Pending(s), 0) << "shard " << s;

  // /metrics and /healthz.
  auto port = agent.MetricsPort(5s);
  ASSERT_TRUE(port.has_value());
  std::string body;
  ASSERT_EQ(HttpGet(*port, "/healthz", &body), 200);
  ASSERT_EQ(HttpGet(*port, "/metrics", &body), 200);
  EXPECT_EQ(MetricValue(body, "pricing_agent_shards_held"), 4.0) << body;
  EXPECT_EQ(MetricValue(body, "pricing_agent_tasks_processed_total"), mine) << body;
  EXPECT_EQ(MetricValue(body, "pricing_agent_assignment_generation"), 1.0);
  EXPECT_EQ(MetricValue(body, "pricing_agent_fenced_rejections_total"), 0.0);
  double per_shard = 0;  // one product per task here
  for (int s = 0; s < 4; ++s) {
    per_shard += MetricValue(body, "pricing_agent_products_priced_total{shard=\"" +
                                       std::to_string(s) + "\"}")
                     .value_or(0);
  }
  EXPECT_EQ(per_shard, mine) << body;
  // Every priced task's latency, from its enqueue (the entry ID's time):
  // the tasks were queued before the agent started, so none took no time.
  EXPECT_EQ(MetricValue(body, "pricing_agent_task_latency_seconds_count"), mine) << body;
  EXPECT_GT(MetricValue(body, "pricing_agent_task_latency_seconds_sum").value_or(0), 0.0) << body;

  agent.Signal(SIGTERM);
  auto code = agent.Wait(10s);
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 0) << agent.Log();
  auto snap = leases_->Snapshot(fleet_);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->records.size(), 4u);
  for (const auto& r : snap->records) EXPECT_EQ(r.holder, "") << "shard " << r.shard;
}

TEST_F(SingleAgentTest, FollowsAssignmentChangesAndKeepsOnMalformedOnes) {
  WriteFileAtomically(file_, AnnotationsFile(1, "0-3"));
  AgentProcess agent(Args(), dir_ + "/agent.log");
  ASSERT_TRUE(Eventually([&] { return HoldsExactly({0, 1, 2, 3}); }, 10s)) << agent.Log();

  WriteFileAtomically(file_, AnnotationsFile(2, "2-5"));
  ASSERT_TRUE(Eventually([&] { return HoldsExactly({2, 3, 4, 5}); }, 5s)) << agent.Log();
  auto snap = leases_->Snapshot(fleet_);
  ASSERT_TRUE(snap.ok());
  for (const auto& r : snap->records) {
    if (r.shard < 2) {
      EXPECT_EQ(r.holder, "") << "shard " << r.shard << " not released";
    }
  }

  // Malformed (shard out of range) and older generations change nothing.
  WriteFileAtomically(file_, AnnotationsFile(3, "6-9"));
  WriteFileAtomically(dir_ + "/x", "");
  std::this_thread::sleep_for(500ms);
  WriteFileAtomically(file_, AnnotationsFile(1, "7"));
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(HoldsExactly({2, 3, 4, 5}));
  EXPECT_NE(agent.Log().find("malformed assignment"), std::string::npos);

  // Tasks of a shard moved in are processed; tasks pushed to a shard moved
  // out wait for its next owner.
  auto tasks = Push("b", 100);
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& [product, shard] : tasks) {
          if (shard < 2 || shard > 5) continue;
          auto r = results_->Get(fleet_, product);
          if (!r.ok() || !r->has_value()) return false;
        }
        return true;
      },
      10s));
  for (const auto& [product, shard] : tasks) {
    if (shard >= 2 && shard <= 5) continue;
    EXPECT_FALSE((*results_->Get(fleet_, product)).has_value());
  }
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0);
}

TEST_F(SingleAgentTest, FencedWriteDropsTheShardAndLeavesTasksPending) {
  WriteFileAtomically(file_, AnnotationsFile(1, "0-7"));
  AgentProcess agent(Args(), dir_ + "/agent.log");
  ASSERT_TRUE(Eventually([&] { return ValidHolders().size() == kShards; }, 10s)) << agent.Log();

  // Another writer (as a successor would) raises shard 1's mark above any token
  // the agent can get for the next 3 seconds (tokens follow the store clock in µs).
  auto snap = leases_->Snapshot(fleet_);
  ASSERT_TRUE(snap.ok());
  const int64_t fence = snap->now_ms * 1000 + 3'000'000;
  ASSERT_TRUE(results_->Write(fleet_, 1, fence, {{"fence-probe", 1}}).ok());

  std::vector<std::string> shard1;
  for (int i = 0; shard1.size() < 5; ++i) {
    std::string id = "c-" + std::to_string(i);
    if (sources::protocol::ShardOf(id, kShards) != 1) continue;
    shard1.push_back(id);
    ASSERT_TRUE(
        redis_->Command({"XADD", prefix_ + ":1", "*", "task", id, "product", id, "price", "1000"})
            .ok());
  }
  // While fenced off: nothing of shard 1 is written, nothing acknowledged.
  std::this_thread::sleep_for(1500ms);
  for (const auto& id : shard1) EXPECT_FALSE((*results_->Get(fleet_, id)).has_value());
  EXPECT_GT(Pending(1) + *redis_->Command({"XLEN", prefix_ + ":1"})->AsInteger(), 0);
  // Once its re-acquired token passes the mark, the agent claims the pending
  // tasks and writes them.
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& id : shard1) {
          auto r = results_->Get(fleet_, id);
          if (!r.ok() || !r->has_value()) return false;
        }
        return true;
      },
      15s))
      << agent.Log();
  for (const auto& id : shard1) {
    auto r = results_->Get(fleet_, id);
    EXPECT_GE((**r).token, fence);
    EXPECT_EQ((**r).price, 1070);
  }
  EXPECT_EQ(Pending(1), 0);
  auto port = agent.MetricsPort(5s);
  std::string body;
  ASSERT_EQ(HttpGet(*port, "/metrics", &body), 200);
  EXPECT_GE(*MetricValue(body, "pricing_agent_fenced_rejections_total"), 1.0);
  EXPECT_GE(*MetricValue(body, "pricing_agent_leases_lost_total"), 1.0);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0);
}

// Each acquired lease raises its shard's fence to the new token before the
// agent writes anything, so a predecessor that still believes it holds the
// shard (the store's clock stepped and expired its lease early) is fenced
// off at once rather than after the new holder's first write.
TEST_F(SingleAgentTest, AnAcquiredLeaseRaisesItsFenceBeforeAnyWrite) {
  WriteFileAtomically(file_, AnnotationsFile(1, "0-7"));
  AgentProcess agent(Args(), dir_ + "/agent.log");
  ASSERT_TRUE(Eventually(
      [&] {
        return HoldsExactly({0, 1, 2, 3, 4, 5, 6, 7});
      },
      10s))
      << agent.Log();
  auto snap = leases_->Snapshot(fleet_);
  ASSERT_TRUE(snap.ok());
  for (const auto& r : snap->records) {
    // No task was pushed: only the acquire can have set the mark.
    EXPECT_TRUE(Eventually([&] { return *results_->HighWater(fleet_, r.shard) == r.token; }, 2s))
        << "shard " << r.shard << ": mark " << *results_->HighWater(fleet_, r.shard) << ", token "
        << r.token;
    auto stale = results_->Write(fleet_, r.shard, r.token - 1, {{"from-a-predecessor", 1}});
    ASSERT_FALSE(stale.ok()) << "shard " << r.shard;
    EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  }
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0);
}

TEST_F(SingleAgentTest, InvalidTasksGoToTheDeadLetterStream) {
  WriteFileAtomically(file_, AnnotationsFile(1, "0-7"));
  AgentProcess agent(Args(), dir_ + "/agent.log");
  ASSERT_TRUE(Eventually([&] { return ValidHolders().size() == kShards; }, 10s));
  // "sku-1" is shard 12 of 64 but shard 4 of 8; push it to shard 0.
  ASSERT_EQ(sources::protocol::ShardOf("sku-1", kShards), 4u);
  ASSERT_TRUE(redis_
                  ->Command({"XADD", prefix_ + ":0", "*", "task", "misrouted", "product", "sku-1",
                             "price", "5"})
                  .ok());
  ASSERT_TRUE(
      redis_->Command({"XADD", prefix_ + ":0", "*", "task", "bad", "product", "x", "price", "-1"})
          .ok());
  ASSERT_TRUE(Eventually(
      [&] {
        return *redis_->Command({"XLEN", prefix_ + ":dead"})->AsInteger() == 2;
      },
      5s));
  EXPECT_EQ(Pending(0), 0);
  EXPECT_FALSE((*results_->Get(fleet_, "sku-1")).has_value());
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0);
}

// A crash hand-off reorders a product's tasks: the new owner claims the dead
// owner's pending entries only after --claim-min-idle, and by then it has
// read (and priced) newer entries of the same products. Per product the price
// of the newest task (the greatest stream entry ID) must stay stored.
TEST_F(SingleAgentTest, AnOlderPendingTaskNeverOverwritesANewerOne) {
  constexpr int kProducts = 24, kOldRounds = 3, kNewRounds = 3;
  const std::string group = "pricing-agents";
  std::map<std::string, uint32_t> shard_of;
  for (int p = 0; p < kProducts; ++p) {
    const std::string product = "h-" + std::to_string(p);
    shard_of[product] = sources::protocol::ShardOf(product, kShards);
  }
  for (uint32_t s = 0; s < kShards; ++s) {
    ASSERT_TRUE(redis_
                    ->Command({"XGROUP", "CREATE", prefix_ + ":" + std::to_string(s), group, "0",
                               "MKSTREAM"})
                    .ok());
  }
  // product → base price and entry ID of its newest task
  std::map<std::string, std::pair<int64_t, std::string>> newest;
  int pushed = 0;
  auto push_round = [&](int round, bool every_product) {
    std::vector<sources::redis::Client::Args> cmds;
    std::vector<std::pair<std::string, int64_t>> sent;
    for (const auto& [product, shard] : shard_of) {
      // Every third product gets no new task: its newest task is a pending one.
      if (!every_product && std::stoi(product.substr(2)) % 3 == 0) continue;
      const int64_t price = 1000 * (round + 1) + std::stoi(product.substr(2));
      sent.emplace_back(product, price);
      cmds.push_back({"XADD", prefix_ + ":" + std::to_string(shard), "*", "task",
                      product + "/" + std::to_string(round), "product", product, "price",
                      std::to_string(price)});
      ++pushed;
    }
    auto ids = redis_->Pipeline(cmds);
    ASSERT_TRUE(ids.ok());
    for (size_t i = 0; i < sent.size(); ++i)
      newest[sent[i].first] = {sent[i].second, (*ids)[i].str};
  };
  for (int r = 0; r < kOldRounds; ++r) push_round(r, true);
  // A predecessor read the old rounds and died before acknowledging them.
  sources::redis::Client::Args read{"XREADGROUP", "GROUP", group,    "agent-dead/1",
                                    "COUNT",      "1000",  "STREAMS"};
  for (uint32_t s = 0; s < kShards; ++s) read.push_back(prefix_ + ":" + std::to_string(s));
  for (uint32_t s = 0; s < kShards; ++s) read.push_back(">");
  ASSERT_TRUE(redis_->Command(read).ok());
  for (int r = kOldRounds; r < kOldRounds + kNewRounds; ++r) push_round(r, false);

  auto args = Args();
  for (auto& a : args) {
    if (a.rfind("--claim-min-idle=", 0) == 0) a = "--claim-min-idle=3s";
  }
  WriteFileAtomically(file_, AnnotationsFile(1, "0-7"));
  AgentProcess agent(args, dir_ + "/agent.log");
  auto port = agent.MetricsPort(10s);
  ASSERT_TRUE(port.has_value()) << agent.Log();
  auto metric = [&](const std::string& name) {
    std::string body;
    return HttpGet(*port, "/metrics", &body) == 200 ? MetricValue(body, name).value_or(-1) : -1;
  };
  ASSERT_TRUE(
      Eventually([&] { return metric("pricing_agent_tasks_processed_total") == pushed; }, 20s))
      << agent.Log();
  // The old rounds really were taken over late, after the new ones.
  EXPECT_EQ(metric("pricing_agent_tasks_claimed_total"), kOldRounds * kProducts);
  for (uint32_t s = 0; s < kShards; ++s) EXPECT_EQ(Pending(s), 0) << "shard " << s;
  for (const auto& [product, task] : newest) {
    auto r = results_->Get(fleet_, product);
    ASSERT_TRUE(r.ok() && r->has_value()) << product;
    EXPECT_EQ((**r).price, Reprice(task.first))
        << product << ": an older task's price overwrote it";
    EXPECT_EQ(results::FormatTaskVersion((**r).version), task.second) << product;
  }
  // Each of the 16 products with newer tasks had its old price skipped (at
  // least once: once per claimed batch holding it).
  EXPECT_GE(metric("pricing_agent_results_superseded_total"), kProducts - 8);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0);
}

TEST(AgentProcessTest, BadFlagsExitTwo) {
  AgentProcess agent({"--shards=zero"}, "/dev/null");
  EXPECT_EQ(agent.Wait(5s), 2);
  AgentProcess help({"--help"}, "/dev/null");
  EXPECT_EQ(help.Wait(5s), 0);
}

TEST_F(SingleAgentTest, NoSecretInLogsWhenTheStoreRefuses) {
  // The fixture's Redis has no password: AUTH with one fails at start-up.
  const std::string secret = "planted-Secret-4711";
  WriteFileAtomically(file_, AnnotationsFile(1, "0"));
  auto args = Args();
  args[3] = "--lease-store=redis://:" + secret + "@127.0.0.1:" + std::to_string(port_);
  AgentProcess agent(args, dir_ + "/agent.log", {{"AGENTFLEET_QUEUE_PASSWORD", secret}});
  auto code = agent.Wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  std::string log = agent.Log();
  EXPECT_NE(log.find("cannot"), std::string::npos) << log;
  EXPECT_EQ(log.find(secret), std::string::npos) << log;
}

}  // namespace
}  // namespace agentfleet::agent::testing
