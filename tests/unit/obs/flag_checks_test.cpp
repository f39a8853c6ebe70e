#include "controller/obs/flag_checks.h"

#include <gtest/gtest.h>

#include "controller/obs/bind_address.h"
#include "controller/obs/log.h"

namespace agentfleet::obs {
namespace {

TEST(FlagChecks, BindAddressesAreTheServersOwnOrOff) {
  for (auto ok : {"0", ":8080", "127.0.0.1:0", "[::1]:9000", "localhost:65535"}) {
    EXPECT_TRUE(CheckBindAddress(ok).ok()) << ok;
  }
  for (auto bad : {"8080", ":99999", "a:b:80", "[::1:80", "host:", ""}) {
    auto check = CheckBindAddress(bad);
    ASSERT_FALSE(check.ok()) << bad;
    EXPECT_EQ(check.error().message, ParseBindAddress(bad).error().message);
  }
}

TEST(FlagChecks, LevelNamesAreTheLoggersOwn) {
  for (auto name : {"debug", "info", "warn", "error"}) {
    EXPECT_TRUE(CheckLevelName(name).ok()) << name;
    EXPECT_TRUE(ParseLevel(name).has_value()) << name;
  }
  for (auto bad : {"verbose", "INFO", ""}) {
    auto check = CheckLevelName(bad);
    ASSERT_FALSE(check.ok()) << bad;
    EXPECT_EQ(check.error().message, "must be one of debug, info, warn, error");
  }
}

}  // namespace
}  // namespace agentfleet::obs
