#include "controller/sources/queue/url.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::queue {
namespace {

TEST(UrlTest, ParsesSchemeHostPortPathQuery) {
  auto u = ParseUrl("https://mq.example:15671/prefix/api?x=1");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "mq.example");
  EXPECT_EQ(u->port, 15671);
  EXPECT_EQ(u->path, "/prefix/api");
  EXPECT_EQ(u->query, "x=1");
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->HostHeader(), "mq.example:15671");
}

TEST(UrlTest, DefaultsPortAndPath) {
  auto u = ParseUrl("HTTPS://sqs.eu-west-1.amazonaws.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->HostHeader(), "sqs.eu-west-1.amazonaws.com");
  auto h = ParseUrl("http://h");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->port, 80);
}

TEST(UrlTest, ParsesIpv6Literals) {
  auto u = ParseUrl("http://[::1]:9324/000000000000/q");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9324);
  EXPECT_EQ(u->HostHeader(), "[::1]:9324");
}

TEST(UrlTest, RejectsBadInput) {
  for (const char* bad : {"127.0.0.1:80", "ftp://h", "http://", "http://h:0", "http://h:70000",
                          "http://h:12x", "http://[::1", "http://[::1]x"}) {
    auto u = ParseUrl(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(UrlTest, RefusesUserInformationWithoutEchoingIt) {
  auto u = ParseUrl("http://admin:hunter2-secret@mq:15672/");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(u.error().message.find("hunter2-secret"), std::string::npos);
}

TEST(UrlTest, PercentEncodesEverythingButUnreserved) {
  EXPECT_EQ(PercentEncode("/"), "%2F");
  EXPECT_EQ(PercentEncode("fleet/a b"), "fleet%2Fa%20b");
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a+b=c&d%"), "a%2Bb%3Dc%26d%25");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentEncode("/a b/", true), "/a%20b/");
}

}  // namespace
}  // namespace agentfleet::sources::queue
