#include "controller/sources/redis/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/sources/redis/silent_server.h"
#include "tests/integration/sources/redis/test_servers.h"

namespace agentfleet::sources::redis {
namespace {

using namespace std::chrono_literals;
using agentfleet::testing::ClosedPort;
using agentfleet::testing::RedisFixture;
using agentfleet::testing::SilentServer;
using Steady = std::chrono::steady_clock;

std::string Unique(const std::string& base) {
  static std::mt19937_64 rng{std::random_device{}()};
  return base + "-" + std::to_string(rng());
}

std::unique_ptr<Client> MustConnect(Options o = RedisFixture()) {
  auto c = Client::Connect(std::move(o));
  if (!c.ok()) throw std::runtime_error(c.error().ToString());
  return std::move(*c);
}

TEST(RedisClient, PingAndBinarySafeValues) {
  auto c = MustConnect();
  auto pong = c->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.error().ToString();
  EXPECT_EQ(*pong, Reply::Status("PONG"));

  const std::string key = Unique("client:bin");
  const std::string value("a\r\n\0$*\xff", 7);
  ASSERT_TRUE(c->Command({"SET", key, value, "EX", "60"}).ok());
  auto got = c->Command({"GET", key});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Reply::Bulk(value));
  auto missing = c->Command({"GET", Unique("client:none")});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->IsNil());
}

TEST(RedisClient, PipelineKeepsOrderAndPerCommandErrors) {
  auto c = MustConnect();
  const std::string list = Unique("client:list"), str = Unique("client:str");
  std::vector<Client::Args> cmds;
  for (int i = 0; i < 1000; ++i) cmds.push_back({"RPUSH", list, std::to_string(i)});
  cmds.push_back({"SET", str, "x"});
  cmds.push_back({"LLEN", str});  // WRONGTYPE: an error reply in its own slot
  cmds.push_back({"LLEN", list});
  cmds.push_back({"DEL", list, str});
  auto r = c->Pipeline(cmds);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), cmds.size());
  EXPECT_EQ((*r)[999], Reply::Integer(1000));
  EXPECT_TRUE((*r)[1001].IsError());
  EXPECT_TRUE((*r)[1001].str.starts_with("WRONGTYPE")) << (*r)[1001].str;
  EXPECT_EQ((*r)[1002], Reply::Integer(1000));
  EXPECT_EQ((*r)[1003], Reply::Integer(2));
  EXPECT_TRUE(c->connected());
}

TEST(RedisClient, ErrorReplyBecomesTypedErrorAndConnectionStaysUsable) {
  auto c = MustConnect();
  auto r = c->Command({"NOSUCHCOMMAND", "secret-arg-value"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_NE(r.error().message.find("NOSUCHCOMMAND"), std::string::npos) << r.error().message;
  EXPECT_TRUE(c->Command({"PING"}).ok());
}

TEST(RedisClient, LargeReplyArrives) {
  auto c = MustConnect();
  const std::string key = Unique("client:big");
  std::vector<Client::Args> cmds;
  for (int i = 0; i < 100; ++i) {
    Client::Args a{"RPUSH", key};
    for (int j = 0; j < 1000; ++j) a.push_back(std::to_string(i * 1000 + j));
    cmds.push_back(std::move(a));
  }
  ASSERT_TRUE(c->Pipeline(cmds).ok());
  auto all = c->Command({"LRANGE", key, "0", "-1"});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->elements.size(), 100000u);
  EXPECT_EQ(all->elements[99999], Reply::Bulk("99999"));
  ASSERT_TRUE(c->Command({"DEL", key}).ok());
}

TEST(RedisClient, EvalShaFallsBackToEvalAfterScriptFlush) {
  auto c = MustConnect();
  const Script script("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}");
  ASSERT_TRUE(c->Command({"SCRIPT", "FLUSH"}).ok());
  for (int i = 0; i < 2; ++i) {
    auto r = c->Eval(script, {"k"}, {"v", "41"});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(*r, Reply::Array({Reply::Bulk("k"), Reply::Bulk("v"), Reply::Integer(42)}));
  }
  auto exists = c->Command({"SCRIPT", "EXISTS", script.sha1()});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(*exists, Reply::Array({Reply::Integer(1)}));
  EXPECT_EQ(script.sha1().size(), 40u);

  auto bad = c->Eval(Script("return redis.error_reply('ERR nope')"), {}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("nope"), std::string::npos);
}

TEST(RedisClient, SelectsDatabase) {
  Options o = RedisFixture();
  o.db = 5;
  auto c5 = MustConnect(o);
  auto c0 = MustConnect();
  const std::string key = Unique("client:db");
  ASSERT_TRUE(c5->Command({"SET", key, "five", "EX", "60"}).ok());
  EXPECT_TRUE(c0->Command({"GET", key})->IsNil());
  EXPECT_EQ(*c5->Command({"GET", key}), Reply::Bulk("five"));
}

TEST(RedisClient, SilentServerTimesOutWithinTheDeadline) {
  SilentServer silent;
  Options o;
  o.port = silent.port();
  o.command_timeout = 300ms;
  auto c = MustConnect(o);  // TCP connect succeeds: the kernel accepts for us
  const auto start = Steady::now();
  auto r = c->Command({"PING"});
  const auto took = Steady::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_GE(took, 280ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_FALSE(c->connected());
}

TEST(RedisClient, SilentServerDuringAuthTimesOutOnConnect) {
  SilentServer silent;
  Options o;
  o.port = silent.port();
  o.password = "pw";
  o.connect_timeout = 300ms;
  const auto start = Steady::now();
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kTimeout);
  EXPECT_LT(Steady::now() - start, 1500ms);
}

TEST(RedisClient, TlsHandshakeWithSilentServerTimesOut) {
  SilentServer silent;
  Options o;
  o.port = silent.port();
  o.tls = true;
  o.connect_timeout = 300ms;
  const auto start = Steady::now();
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kTimeout) << c.error().ToString();
  EXPECT_LT(Steady::now() - start, 1500ms);
}

TEST(RedisClient, ConnectionRefusedIsUnavailable) {
  Options o;
  o.port = ClosedPort();
  const auto start = Steady::now();
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(c.error().message.find(o.Endpoint()), std::string::npos) << c.error().message;
  EXPECT_LT(Steady::now() - start, 1000ms);
}

TEST(RedisClient, UnresolvableHostIsUnavailable) {
  Options o;
  o.host = "no-such-host.invalid";
  o.connect_timeout = 2000ms;
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.error().code == ErrorCode::kUnavailable || c.error().code == ErrorCode::kTimeout)
      << c.error().ToString();
}

TEST(RedisClient, ReconnectsOnTheNextCallAfterTheServerDropsIt) {
  auto c = MustConnect();
  auto id = c->Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok());
  auto admin = MustConnect();
  ASSERT_TRUE(admin->Command({"CLIENT", "KILL", "ID", std::to_string(id->integer)}).ok());
  auto dropped = c->Command({"PING"});
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code, ErrorCode::kUnavailable) << dropped.error().ToString();
  auto again = c->Command({"PING"});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_TRUE(c->connected());
}

TEST(RedisClient, AclUserAuthAndWrongPassword) {
  auto admin = MustConnect();
  const std::string user = Unique("agentfleet-test-user");
  const std::string secret = Unique("planted-secret");
  ASSERT_TRUE(admin->Command({"ACL", "SETUSER", user, "on", ">" + secret, "~*", "+@all"}).ok());

  Options o = RedisFixture();
  o.username = user;
  o.password = secret;
  auto good = Client::Connect(o);
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_EQ(*(*good)->Command({"ACL", "WHOAMI"}), Reply::Bulk(user));

  o.password = secret + "-wrong";
  auto bad = Client::Connect(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(bad.error().message.find(secret), std::string::npos) << bad.error().message;
  ASSERT_TRUE(admin->Command({"ACL", "DELUSER", user}).ok());
}

}  // namespace
}  // namespace agentfleet::sources::redis
