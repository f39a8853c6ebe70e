#include "controller/base/url_authority.h"

#include <gtest/gtest.h>

namespace agentfleet {
namespace {

TEST(ParseUrlAuthority, SplitsUserPasswordHostAndPort) {
  auto a = ParseUrlAuthority("us%40er:p@ss@[::1]:5672");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->has_userinfo);
  EXPECT_EQ(a->user, "us@er");
  EXPECT_EQ(a->password, "p@ss");
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 5672);
  a = ParseUrlAuthority("redis.svc");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->has_userinfo);
  EXPECT_EQ(a->host, "redis.svc");
  EXPECT_FALSE(a->port);
}

TEST(ParseUrlAuthority, SaysWhatIsWrongWithoutTheCredentials) {
  const std::pair<const char*, const char*> bad[] = {
      {"u:s3cret%zz@h", "bad percent-encoding in the credentials"},
      {"[::1", "unterminated IPv6 address"},
      {"[::1]x", "unexpected characters after the IPv6 address"},
      {"h:0", "port must be a number from 1 to 65535"},
      {"h:65536", "port must be a number from 1 to 65535"},
  };
  for (const auto& [text, says] : bad) {
    auto a = ParseUrlAuthority(text);
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_EQ(a.error().message, says);
    EXPECT_EQ(a.error().message.find("s3cret"), std::string::npos);
  }
}

TEST(JoinHostPort, BracketsAnIpv6Host) {
  EXPECT_EQ(JoinHostPort("::1", 6379), "[::1]:6379");
  EXPECT_EQ(JoinHostPort("redis.svc", 6379), "redis.svc:6379");
}

}  // namespace
}  // namespace agentfleet
