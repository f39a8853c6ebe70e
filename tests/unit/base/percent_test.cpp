#include "controller/base/percent.h"

#include <gtest/gtest.h>

namespace agentfleet {
namespace {

TEST(PercentDecode, DecodesEscapesAndKeepsTheRest) {
  EXPECT_EQ(PercentDecode("a%2Fb%40c+d"), "a/b@c+d");
  EXPECT_EQ(PercentDecode("%e2%82%ac"), "\xe2\x82\xac");
  EXPECT_EQ(PercentDecode(""), "");
}

TEST(PercentDecode, RefusesATruncatedOrNonHexEscape) {
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("ab%2"));
  EXPECT_FALSE(PercentDecode("%zz"));
  EXPECT_FALSE(PercentDecode("%2g"));
}

}  // namespace
}  // namespace agentfleet
