// The client against a redis-server that speaks only TLS and wants a password
// (fixture `redis_tls`, tests/servers/redis_tls.sh).
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "controller/sources/redis/client.h"
#include "tests/integration/sources/redis/silent_server.h"
#include "tests/integration/sources/redis/test_servers.h"

namespace agentfleet::sources::redis {
namespace {

using namespace std::chrono_literals;
using agentfleet::testing::ClosedPort;
using agentfleet::testing::FixtureFile;
using agentfleet::testing::FixturePath;
using agentfleet::testing::SilentServer;
using Steady = std::chrono::steady_clock;

constexpr const char* kDir = "AGENTFLEET_REDIS_TLS_DIR";

Options TlsFixture() {
  Options o;
  o.host = "127.0.0.1";
  o.port = static_cast<uint16_t>(std::stoi(FixtureFile(kDir, "port")));
  o.tls = true;
  o.tls_ca_file = FixturePath(kDir, "ca.crt");
  o.password = FixtureFile(kDir, "password");
  return o;
}

TEST(RedisClientTls, VerifiedConnectionWithPassword) {
  auto c = Client::Connect(TlsFixture());
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(*(*c)->Command({"PING"}), Reply::Status("PONG"));
  auto r = (*c)->Pipeline({{"SET", "tls:k", "v"}, {"GET", "tls:k"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[1], Reply::Bulk("v"));
}

TEST(RedisClientTls, LargeReplyOverTls) {
  auto c = Client::Connect(TlsFixture());
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  const std::string big(3 * 1024 * 1024, 'z');
  ASSERT_TRUE((*c)->Command({"SET", "tls:big", big}).ok());
  auto got = (*c)->Command({"GET", "tls:big"});
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->str.size(), big.size());
}

TEST(RedisClientTls, LocalhostNameAlsoVerifies) {
  Options o = TlsFixture();
  o.host = "localhost";
  auto c = Client::Connect(o);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
}

TEST(RedisClientTls, UntrustedCaIsRejected) {
  Options o = TlsFixture();
  o.tls_ca_file = FixturePath(kDir, "other-ca.crt");
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(c.error().message.find("TLS handshake"), std::string::npos) << c.error().message;
}

TEST(RedisClientTls, MissingCaFileIsInvalidArgument) {
  Options o = TlsFixture();
  o.tls_ca_file = FixturePath(kDir, "no-such-ca.crt");
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << c.error().ToString();
}

TEST(RedisClientTls, WrongServerNameIsRejected) {
  Options o = TlsFixture();
  o.tls_server_name = "redis.elsewhere.example";
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable) << c.error().ToString();
}

TEST(RedisClientTls, MissingPasswordIsUnauthorizedOnFirstCommand) {
  Options o = TlsFixture();
  o.password.clear();
  auto c = Client::Connect(o);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  auto r = (*c)->Command({"PING"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized) << r.error().ToString();
}

TEST(RedisClientTls, PlainClientAgainstTlsPortFailsWithoutHanging) {
  Options o = TlsFixture();
  o.tls = false;
  o.connect_timeout = 500ms;
  o.command_timeout = 500ms;
  const auto start = Steady::now();
  auto c = Client::Connect(o);
  if (c.ok()) {
    EXPECT_FALSE((*c)->Command({"PING"}).ok());
  } else {
    EXPECT_NE(c.error().code, ErrorCode::kInternal) << c.error().ToString();
  }
  EXPECT_LT(Steady::now() - start, 2500ms);
}

// Every failure path with a planted password: no message may contain it.
TEST(RedisClientSecrets, NoErrorMessageCarriesThePassword) {
  const std::string secret = "planted-password-xyzzy-" + std::to_string(std::random_device{}());
  std::vector<std::string> messages;
  auto record = [&](const Error& e) { messages.push_back(e.ToString()); };

  Options wrong = TlsFixture();
  wrong.password = secret;
  if (auto c = Client::Connect(wrong); !c.ok()) record(c.error());
  wrong.username = "nobody";
  if (auto c = Client::Connect(wrong); !c.ok()) record(c.error());
  Options refused;
  refused.port = ClosedPort();
  refused.password = secret;
  if (auto c = Client::Connect(refused); !c.ok()) record(c.error());
  SilentServer silent;
  Options hung;
  hung.port = silent.port();
  hung.password = secret;
  hung.connect_timeout = 200ms;
  if (auto c = Client::Connect(hung); !c.ok()) record(c.error());
  auto url = ParseUrl("redis://user:" + secret + "@host:notaport");
  if (!url.ok()) record(url.error());
  auto c = Client::Connect(TlsFixture());
  ASSERT_TRUE(c.ok());
  if (auto r = (*c)->Command({"AUTH", "nobody", secret}); !r.ok()) record(r.error());
  if (auto r = (*c)->Command({"CONFIG", "SET", "requirepass", secret, "bogus"}); !r.ok()) {
    record(r.error());
  }

  ASSERT_EQ(messages.size(), 7u);
  for (const std::string& m : messages) {
    EXPECT_EQ(m.find(secret), std::string::npos) << m;
    EXPECT_EQ(m.find("xyzzy"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace agentfleet::sources::redis
