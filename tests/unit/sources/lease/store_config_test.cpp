#include "controller/sources/lease/store_config.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::lease {
namespace {

using namespace std::chrono_literals;

TEST(StoreUrl, Redis) {
  auto c = ParseStoreUrl("rediss://:urlpw@cache:6380/2", "", 1500ms);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->kind, StoreConfig::Kind::kRedis);
  EXPECT_TRUE(c->redis.tls);
  EXPECT_EQ(c->redis.host, "cache");
  EXPECT_EQ(c->redis.port, 6380);
  EXPECT_EQ(c->redis.db, 2);
  EXPECT_EQ(c->redis.password, "urlpw");
  EXPECT_EQ(c->redis.command_timeout, 1500ms);
}

TEST(StoreUrl, SecretPasswordOverridesTheUrl) {
  auto c = ParseStoreUrl("redis://:urlpw@cache", "from-secret");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->redis.password, "from-secret");
}

TEST(StoreUrl, PostgresUrlAndKeywordForm) {
  for (const char* url : {"postgresql://u@db:5433/leases?sslmode=verify-full",
                          "postgres://u@db/leases", "host=db port=5433 dbname=leases"}) {
    auto c = ParseStoreUrl(url, "pw", 2s);
    ASSERT_TRUE(c.ok()) << url;
    EXPECT_EQ(c->kind, StoreConfig::Kind::kPostgres);
    EXPECT_EQ(c->postgres.conninfo, url);
    EXPECT_EQ(c->postgres.password, "pw");
    EXPECT_EQ(c->postgres.statement_timeout, 2s);
  }
}

TEST(StoreUrl, UnknownSchemeIsRejectedWithoutEchoingTheUrl) {
  auto c = ParseStoreUrl("mysql://root:hunter2@db/x");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos);
  auto r = ParseStoreUrl("redis://:hunter2@db:notaport");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace agentfleet::sources::lease
