// RedisListQueue against the fixture redis-server: what a consumer takes is
// in work until settled, and the work of a consumer that died comes back.

#include "examples/agent/queues/redis_list_queue.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/integration/agent/agent_process.h"

namespace agentfleet::agent::queues {
namespace {

using namespace std::chrono_literals;
using Args = sources::redis::Client::Args;

class RedisListQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opts_.port = static_cast<uint16_t>(testing::RedisPort());
    key_ = "list-" + std::to_string(getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    redis_ = Connect();
  }
  void TearDown() override {
    auto keys = redis_->Command({"KEYS", key_ + "*"});
    if (keys.ok()) {
      for (const auto& k : keys->elements) (void)redis_->Command({"DEL", k.str});
    }
  }
  std::unique_ptr<sources::redis::Client> Connect() {
    return std::move(sources::redis::Client::Connect(opts_).value());
  }
  std::unique_ptr<RedisListQueue> Consumer(const std::string& id,
                                           std::chrono::milliseconds ttl = 5s) {
    return std::make_unique<RedisListQueue>(
        RedisListConfig{.key = key_, .dead_key = "", .consumer = id, .heartbeat_ttl = ttl},
        Connect());
  }
  void Push(std::vector<std::string> bodies) {
    Args cmd{"RPUSH", key_};
    cmd.insert(cmd.end(), bodies.begin(), bodies.end());
    ASSERT_TRUE(redis_->Command(cmd).ok());
  }
  std::vector<std::string> List(const std::string& key) {
    auto r = redis_->Command({"LRANGE", key, "0", "-1"});
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& e : r->elements) out.push_back(e.str);
    }
    return out;
  }
  static std::vector<std::string> Bodies(const std::vector<Delivery>& d) {
    std::vector<std::string> out;
    for (const auto& x : d) out.push_back(x.body);
    return out;
  }

  sources::redis::Options opts_;
  std::string key_;
  std::unique_ptr<sources::redis::Client> redis_;
};

TEST_F(RedisListQueueTest, ReceivedTasksAreInWorkUntilDone) {
  Push({"a", "b", "c"});
  auto q = Consumer("c1");
  auto got = q->Receive(2, 100ms);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(Bodies(*got), (std::vector<std::string>{"a", "b"}));  // oldest first
  EXPECT_EQ(List(key_), (std::vector<std::string>{"c"}));
  EXPECT_EQ(List(q->processing_key()), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(q->Done(*got).ok());
  EXPECT_TRUE(List(q->processing_key()).empty());
  EXPECT_EQ(List(key_), (std::vector<std::string>{"c"}));
}

TEST_F(RedisListQueueTest, AnEmptyListWaitsAndReturnsNothing) {
  auto q = Consumer("c1");
  const auto start = std::chrono::steady_clock::now();
  auto got = q->Receive(10, 150ms);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(got->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST_F(RedisListQueueTest, ReturnedTasksGoToTheBackOfTheQueue) {
  Push({"a", "b"});
  auto q = Consumer("c1");
  auto got = q->Receive(1, 100ms);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(q->Return(*got).ok());
  EXPECT_EQ(List(key_), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(List(q->processing_key()).empty());
}

TEST_F(RedisListQueueTest, DeadLetteredTasksKeepTheirBodyAndReason) {
  Push({"not json"});
  auto q = Consumer("c1");
  auto got = q->Receive(1, 100ms);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_TRUE(q->DeadLetter(got->front(), "task message is not JSON").ok());
  EXPECT_TRUE(List(key_).empty());
  EXPECT_TRUE(List(q->processing_key()).empty());
  auto dead = List(key_ + ":dead");
  ASSERT_EQ(dead.size(), 1u);
  auto j = nlohmann::json::parse(dead[0]);
  EXPECT_EQ(j["body"], "not json");
  EXPECT_EQ(j["reason"], "task message is not JSON");
  EXPECT_EQ(j["list"], key_);
}

TEST_F(RedisListQueueTest, TheWorkOfAConsumerWhoseHeartbeatLapsedComesBackInOrder) {
  Push({"a", "b", "c", "d"});
  auto dead = Consumer("dead", 300ms);
  ASSERT_TRUE(dead->KeepAlive({}).ok());
  auto got = dead->Receive(3, 100ms);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  // "dead" stops renewing its heartbeat (a kill -9 would leave the same).
  auto live = Consumer("live", 300ms);
  auto none = live->RecoverAbandoned();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0) << "a consumer whose heartbeat is fresh keeps its work";
  std::this_thread::sleep_for(400ms);
  auto back = live->RecoverAbandoned();
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, 3);
  EXPECT_EQ(List(key_), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(List(dead->processing_key()).empty());
}

TEST_F(RedisListQueueTest, KeepAliveRecoversAbandonedWorkOncePerTtl) {
  Push({"a"});
  {
    auto dead = Consumer("dead", 200ms);
    ASSERT_TRUE(dead->Receive(1, 100ms).ok());
    (void)dead.release();  // never settled, never destroyed: as if killed
  }
  auto live = Consumer("live", 200ms);
  ASSERT_TRUE(testing::Eventually(
      [&] {
        EXPECT_TRUE(live->KeepAlive({}).ok());
        return List(key_) == std::vector<std::string>{"a"};
      },
      3s));
}

TEST_F(RedisListQueueTest, OneConsumerSweepsPerTtlAndTheDeadLeaveTheRegistry) {
  Push({"a"});
  {
    auto dead = Consumer("dead", 300ms);
    ASSERT_TRUE(dead->Receive(1, 100ms).ok());
    (void)dead.release();  // killed: its heartbeat was never set
  }
  auto first = Consumer("first", 300ms);
  auto second = Consumer("second", 300ms);
  ASSERT_TRUE(first->KeepAlive({}).ok());  // the TTL's sweeper
  EXPECT_EQ(List(key_), (std::vector<std::string>{"a"}));
  auto turn = redis_->Command({"GET", key_ + ":recovery"});
  ASSERT_TRUE(turn.ok());
  EXPECT_EQ(turn->str, "first");
  ASSERT_TRUE(second->KeepAlive({}).ok());  // not its turn: sweeps nothing
  auto members = redis_->Command({"SMEMBERS", key_ + ":consumers"});
  ASSERT_TRUE(members.ok());
  std::set<std::string> names;
  for (const auto& m : members->elements) names.insert(m.str);
  EXPECT_EQ(names, (std::set<std::string>{"first", "second"})) << "dead left the registry";
}

}  // namespace
}  // namespace agentfleet::agent::queues
