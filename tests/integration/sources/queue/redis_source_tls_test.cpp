// The Redis queue sources over TLS with a password (fixture `redis_tls`): the
// depth reads through, and TLS or password failures are typed and never carry
// the password.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/sources/queue/redis_source.h"
#include "controller/sources/redis/client.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::sources::queue {
namespace {

using namespace std::chrono_literals;
using testing::ExpectFailureWithin;
using testing::ExpectNoSecret;
using testing::FixtureFile;
using testing::FixturePath;
using testing::UniqueToken;

constexpr const char* kDir = "AGENTFLEET_REDIS_TLS_DIR";

sources::redis::Options TlsServer() {
  sources::redis::Options o;
  o.host = "127.0.0.1";
  o.port = static_cast<uint16_t>(std::stoi(FixtureFile(kDir, "port")));
  o.tls = true;
  o.tls_ca_file = FixturePath(kDir, "ca.crt");
  o.password = FixtureFile(kDir, "password");
  o.connect_timeout = 2s;
  o.command_timeout = 2s;
  return o;
}

TEST(RedisSourceTlsTest, ShardedDepthOverTlsWithPassword) {
  const sources::redis::Options server = TlsServer();
  auto admin = sources::redis::Client::Connect(server);
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  const std::string prefix = UniqueToken("tls-tasks");
  for (int shard = 0; shard < 3; ++shard) {
    for (int i = 0; i <= shard; ++i) {
      ASSERT_TRUE(
          (*admin)->Command({"XADD", prefix + ":" + std::to_string(shard), "*", "p", "x"}).ok());
    }
  }
  auto source = MakeRedisShardedStreamsSource({server, prefix, 4, "agents"});
  ASSERT_TRUE(source.ok());
  auto d = (*source)->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->shards, (std::vector<int64_t>{1, 2, 3, 0}));
}

TEST(RedisSourceTlsTest, FailuresAreTypedAndCarryNoPassword) {
  const sources::redis::Options good = TlsServer();
  const std::string real_password = good.password;
  ASSERT_GE(real_password.size(), 16u);

  sources::redis::Options wrong_password = good;
  wrong_password.password = UniqueToken("redis-tls-wrong-password");
  sources::redis::Options untrusted = good;
  untrusted.tls_ca_file = FixturePath(kDir, "other-ca.crt");
  sources::redis::Options plain = good;
  plain.tls = false;  // a plaintext client on a TLS-only port

  struct Case {
    sources::redis::Options server;
    std::vector<ErrorCode> want;
  };
  for (const Case& c : {Case{wrong_password, {ErrorCode::kUnauthorized}},
                        Case{untrusted, {ErrorCode::kUnavailable}},
                        Case{plain, {ErrorCode::kUnavailable, ErrorCode::kTimeout}}}) {
    auto source = MakeRedisListSource({c.server, "tasks"});
    ASSERT_TRUE(source.ok());
    const auto start = std::chrono::steady_clock::now();
    auto d = (*source)->ReadDepth();
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              c.server.connect_timeout + c.server.command_timeout + 750ms);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(std::find(c.want.begin(), c.want.end(), d.error().code), c.want.end())
        << d.error().ToString();
    ExpectNoSecret(d.error(), {real_password, c.server.password});
  }
}

}  // namespace
}  // namespace agentfleet::sources::queue
