#include "controller/sources/redis/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agentfleet::sources::redis {
namespace {

TEST(RedisUrl, HostPortDb) {
  auto o = ParseUrl("redis://cache.example:6380/3");
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(o->host, "cache.example");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 3);
  EXPECT_FALSE(o->tls);
  EXPECT_TRUE(o->password.empty());
  EXPECT_EQ(o->Endpoint(), "cache.example:6380");
}

TEST(RedisUrl, Defaults) {
  auto o = ParseUrl("redis://localhost");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, 6379);
  EXPECT_EQ(o->db, 0);
}

TEST(RedisUrl, TlsSchemeAndCredentials) {
  auto o = ParseUrl("rediss://svc%40acct:p%3Ass@10.0.0.1:7000");
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->username, "svc@acct");
  EXPECT_EQ(o->password, "p:ss");
  EXPECT_EQ(o->host, "10.0.0.1");
}

TEST(RedisUrl, PasswordOnly) {
  auto o = ParseUrl("redis://:hunter2@h:1");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->username, "");
  EXPECT_EQ(o->password, "hunter2");
}

TEST(RedisUrl, Ipv6) {
  auto o = ParseUrl("redis://[::1]:6390");
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 6390);
  EXPECT_EQ(o->Endpoint(), "[::1]:6390");
}

TEST(RedisUrl, ErrorsNameTheProblemButNotTheSecret) {
  const std::string secret = "s3cr3t-planted";
  for (const std::string& url : std::vector<std::string>{
           "http://h", "redis://:" + secret + "@h:0", "redis://:" + secret + "@h:99999",
           "redis://:" + secret + "@h:1/x", "redis://:" + secret + "%zz@h",
           "redis://:" + secret + "@", "redis://:" + secret + "@[::1"}) {
    auto o = ParseUrl(url);
    ASSERT_FALSE(o.ok()) << url;
    EXPECT_EQ(o.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(o.error().message.find(secret), std::string::npos) << o.error().message;
    EXPECT_EQ(o.error().message.find("redis URL:"), 0u) << o.error().message;
  }
}

}  // namespace
}  // namespace agentfleet::sources::redis
