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

TEST(StoreUrl, PostgresSslModeIsAlwaysExplicitAndVerifyFullByDefault) {
  struct Case {
    const char* url;
    const char* requested;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {"postgresql://u@db/leases", "", "verify-full"},
           {"host=db dbname=leases", "", "verify-full"},
           {"postgresql://u@db/leases?sslrootcert=/ca.pem", "", "verify-full"},
           {"postgresql://u@db/leases?sslmode=disable", "", "disable"},
           {"host=db sslmode=require", "", "require"},
           {"postgresql://u@db/leases", "disable", "disable"},
           {"postgresql://u@db/leases?sslmode=verify-ca", "verify-ca", "verify-ca"},
       }) {
    auto r = ParseStoreUrl(c.url, "", 2s, c.requested);
    ASSERT_TRUE(r.ok()) << c.url << ": " << r.error().ToString();
    EXPECT_EQ(r->postgres.sslmode, c.want) << c.url << " / " << c.requested;
  }
}

TEST(StoreUrl, PostgresSslModesThatDoNotProtectAreRefused) {
  struct Case {
    const char* url;
    const char* requested;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"postgresql://u:pw-in-url@db/x?sslmode=prefer", "",
            "sslmode=prefer neither verifies the server nor refuses a downgrade to plain text"},
           {"host=db sslmode=allow password=pw-in-url", "", "sslmode=allow neither verifies"},
           {"postgresql://u@db/x?sslmode=bogus", "", "sslmode \"bogus\" is not one of"},
           {"postgresql://u@db/x", "prefer", "sslmode \"prefer\" is not one of"},
           {"postgresql://u:pw-in-url@db/x?sslmode=disable", "verify-full",
            "sslmode verify-full contradicts the connection string's sslmode=disable"},
       }) {
    auto r = ParseStoreUrl(c.url, "", 2s, c.requested);
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("pw-in-url"), std::string::npos) << r.error().message;
  }
  // Redis has no sslmode: the setting is not its business.
  EXPECT_TRUE(ParseStoreUrl("redis://cache", "", 2s, "verify-full").ok());
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
