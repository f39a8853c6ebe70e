// The Redis queue sources against a real redis-server (fixture `redis`):
// per-shard stream depths for every case the depth rules name, lists, single
// streams, ACL failures, and unreachable servers.
#include "controller/sources/queue/redis_source.h"

#include <gtest/gtest.h>

#include "controller/sources/redis/client.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::sources::queue {
namespace {

using namespace std::chrono_literals;
using testing::BlackHole;
using testing::ClosedPort;
using testing::ExpectFailureWithin;
using testing::ExpectNoSecret;
using testing::FixtureFile;
using testing::UniqueToken;

class RedisSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string port = FixtureFile("AGENTFLEET_REDIS_DIR", "port");
    ASSERT_FALSE(port.empty());
    server_.host = "127.0.0.1";
    server_.port = static_cast<uint16_t>(std::stoi(port));
    auto client = sources::redis::Client::Connect(server_);
    ASSERT_TRUE(client.ok()) << client.error().ToString();
    admin_ = std::move(client).value();
    prefix_ = UniqueToken("tasks");
  }

  sources::redis::Reply Do(const sources::redis::Client::Args& args) {
    auto r = admin_->Command(args);
    EXPECT_TRUE(r.ok()) << args[0] << ": " << r.error().ToString();
    return r.ok() ? *r : sources::redis::Reply::Nil();
  }
  std::string Key(int shard) const { return prefix_ + ":" + std::to_string(shard); }
  void Add(const std::string& key, int n) {
    for (int i = 0; i < n; ++i) Do({"XADD", key, "*", "product", "p" + std::to_string(i)});
  }
  // Delivers n entries to a consumer of the group; returns their ids.
  std::vector<std::string> Deliver(const std::string& key, const std::string& group, int n) {
    auto r = Do(
        {"XREADGROUP", "GROUP", group, "agent-1", "COUNT", std::to_string(n), "STREAMS", key, ">"});
    std::vector<std::string> ids;
    if (r.IsArray() && !r.elements.empty()) {
      for (const auto& entry : r.elements[0].elements[1].elements) {
        ids.push_back(entry.elements[0].str);
      }
    }
    EXPECT_EQ(ids.size(), static_cast<size_t>(n));
    return ids;
  }
  void Ack(const std::string& key, const std::string& group, const std::vector<std::string>& ids) {
    sources::redis::Client::Args args{"XACK", key, group};
    args.insert(args.end(), ids.begin(), ids.end());
    Do(args);
  }

  std::unique_ptr<QueueSource> Sharded(int shards, const std::string& group = "agents") {
    auto s = MakeRedisShardedStreamsSource({server_, prefix_, shards, group});
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return std::move(s).value();
  }

  sources::redis::Options server_;
  std::unique_ptr<sources::redis::Client> admin_;
  std::string prefix_;
};

TEST_F(RedisSourceTest, ShardedStreamsCountEveryCaseExactly) {
  const std::string g = "agents";
  // shard 0: no stream at all                                   → 0
  // shard 1: 5 entries, group at the start, nothing read        → lag 5
  Add(Key(1), 5);
  Do({"XGROUP", "CREATE", Key(1), g, "0"});
  // shard 2: 6 entries, 4 delivered, 3 of those acknowledged    → lag 2 + pending 1
  Add(Key(2), 6);
  Do({"XGROUP", "CREATE", Key(2), g, "0"});
  {
    auto ids = Deliver(Key(2), g, 4);
    ids.resize(3);
    Ack(Key(2), g, ids);
  }
  // shard 3: 4 entries and no group: nobody consumed them       → XLEN 4
  Add(Key(3), 4);
  // shard 4: group made at "$" with MKSTREAM, then 3 entries    → lag 3
  Do({"XGROUP", "CREATE", Key(4), g, "$", "MKSTREAM"});
  Add(Key(4), 3);
  // shard 5: 5 entries all delivered and acknowledged           → 0
  Add(Key(5), 5);
  Do({"XGROUP", "CREATE", Key(5), g, "0"});
  Ack(Key(5), g, Deliver(Key(5), g, 5));
  // shard 6: an unread entry deleted: Redis cannot tell the lag → XLEN 4
  Add(Key(6), 5);
  Do({"XGROUP", "CREATE", Key(6), g, "0"});
  Deliver(Key(6), g, 2);
  auto last = Do({"XREVRANGE", Key(6), "+", "-", "COUNT", "1"});
  Do({"XDEL", Key(6), last.elements[0].elements[0].str});
  // shard 7: another group's progress does not count            → lag 2
  Add(Key(7), 2);
  Do({"XGROUP", "CREATE", Key(7), g, "0"});
  Do({"XGROUP", "CREATE", Key(7), "auditors", "0"});
  Deliver(Key(7), "auditors", 2);

  auto source = Sharded(8);
  auto d = source->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->shards, (std::vector<int64_t>{0, 5, 3, 4, 3, 0, 4, 2}));
  EXPECT_EQ(d->total, 21);

  // The next reading follows new work and acknowledgements.
  Add(Key(0), 2);
  Do({"XGROUP", "CREATE", Key(0), g, "0"});
  Ack(Key(1), g, Deliver(Key(1), g, 5));
  d = source->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->shards, (std::vector<int64_t>{2, 0, 3, 4, 3, 0, 4, 2}));
  EXPECT_EQ(d->total, 18);
}

TEST_F(RedisSourceTest, SingleStreamByGroupOrLength) {
  Add(Key(0), 6);
  Do({"XGROUP", "CREATE", Key(0), "agents", "0"});
  Ack(Key(0), "agents", Deliver(Key(0), "agents", 4));
  auto by_group = MakeRedisStreamSource({server_, Key(0), "agents"});
  auto by_length = MakeRedisStreamSource({server_, Key(0), ""});
  ASSERT_TRUE(by_group.ok() && by_length.ok());
  EXPECT_EQ((*by_group)->ReadDepth()->total, 2);
  EXPECT_EQ((*by_length)->ReadDepth()->total, 6);
  auto missing = MakeRedisStreamSource({server_, Key(9), "agents"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ((*missing)->ReadDepth()->total, 0);
}

TEST_F(RedisSourceTest, ListLengthFollowsPushesAndPops) {
  auto source = MakeRedisListSource({server_, Key(0)});
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->ReadDepth()->total, 0) << "a missing list is empty";
  Do({"RPUSH", Key(0), "a", "b", "c", "d"});
  EXPECT_EQ((*source)->ReadDepth()->total, 4);
  Do({"LPOP", Key(0)});
  EXPECT_EQ((*source)->ReadDepth()->total, 3);
}

TEST_F(RedisSourceTest, WrongKeyTypeIsInvalidArgument) {
  Do({"SET", Key(0), "not a queue"});
  auto list = MakeRedisListSource({server_, Key(0)});
  auto stream = MakeRedisStreamSource({server_, Key(0), "agents"});
  auto sharded = Sharded(1);
  for (QueueSource* s : {list->get(), stream->get(), sharded.get()}) {
    auto d = s->ReadDepth();
    ASSERT_FALSE(d.ok()) << s->Describe();
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument) << d.error().ToString();
  }
}

TEST_F(RedisSourceTest, AclFailuresAreTypedAndLeakNoPassword) {
  const std::string user = UniqueToken("depth-reader");
  const std::string password = UniqueToken("redis-password");
  Do({"ACL", "SETUSER", user, "on", ">" + password, "~*", "-@all"});
  sources::redis::Options as_user = server_;
  as_user.username = user;

  as_user.password = UniqueToken("redis-wrong-password");
  auto wrong = MakeRedisListSource({as_user, Key(0)});
  Error e = ExpectFailureWithin(**wrong, ErrorCode::kUnauthorized, 2s);
  ExpectNoSecret(e, {as_user.password, password});

  as_user.password = password;
  auto no_right = MakeRedisListSource({as_user, Key(0)});
  e = ExpectFailureWithin(**no_right, ErrorCode::kForbidden, 2s);
  ExpectNoSecret(e, {password});

  Do({"ACL", "SETUSER", user, "+llen"});
  Do({"RPUSH", Key(0), "x"});
  auto allowed = (*no_right)->ReadDepth();
  ASSERT_TRUE(allowed.ok()) << allowed.error().ToString();
  EXPECT_EQ(allowed->total, 1);
  Do({"ACL", "DELUSER", user});
}

TEST(RedisSourceUnreachableTest, ClosedAndSilentPortsFailTypedWithinTheTimeout) {
  const std::string password = UniqueToken("redis-unreachable-password");
  BlackHole hole;
  struct Case {
    uint16_t port;
    ErrorCode want;
  };
  for (const Case& c :
       {Case{ClosedPort(), ErrorCode::kUnavailable}, Case{hole.port(), ErrorCode::kTimeout}}) {
    for (bool with_password : {false, true}) {
      sources::redis::Options o;
      o.host = "127.0.0.1";
      o.port = c.port;
      o.connect_timeout = 1000ms;
      o.command_timeout = 1000ms;
      if (with_password) o.password = password;
      auto sharded = MakeRedisShardedStreamsSource({o, "tasks", 16, "agents"});
      auto list = MakeRedisListSource({o, "tasks"});
      auto stream = MakeRedisStreamSource({o, "tasks", "agents"});
      for (QueueSource* s : {sharded->get(), list->get(), stream->get()}) {
        Error e = ExpectFailureWithin(*s, c.want, o.connect_timeout + o.command_timeout);
        ExpectNoSecret(e, {password});
      }
    }
  }
}

TEST(RedisSourceConfigTest, RejectsConfigurationsThatCannotWork) {
  sources::redis::Options o;
  EXPECT_EQ(MakeRedisShardedStreamsSource({o, "", 4, "g"}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRedisShardedStreamsSource({o, "p", 0, "g"}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRedisShardedStreamsSource({o, "p", 4, ""}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRedisListSource({o, ""}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRedisStreamSource({o, "", "g"}).error().code, ErrorCode::kInvalidArgument);
  o.command_timeout = 0ms;
  EXPECT_EQ(MakeRedisListSource({o, "k"}).error().code, ErrorCode::kInvalidArgument);
  // Making a source does not connect: Redis may be down at start-up.
  sources::redis::Options down;
  down.port = ClosedPort();
  auto s = MakeRedisShardedStreamsSource({down, "p", 4, "g"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Describe(),
            "redis streams p:0..3 group g at redis 127.0.0.1:" + std::to_string(down.port));
}

}  // namespace
}  // namespace agentfleet::sources::queue
