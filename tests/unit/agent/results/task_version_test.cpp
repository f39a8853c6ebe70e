#include "examples/agent/results/task_version.h"

#include <gtest/gtest.h>

#include <limits>

namespace agentfleet::agent::results {
namespace {

TEST(TaskVersion, OrderIsHiThenLo) {
  EXPECT_LT((TaskVersion{1, 9}), (TaskVersion{2, 0}));
  EXPECT_LT((TaskVersion{2, 0}), (TaskVersion{2, 1}));
  EXPECT_EQ((TaskVersion{2, 1}), (TaskVersion{2, 1}));
  EXPECT_LT(TaskVersion{}, (TaskVersion{0, 1})) << "(0, 0), a price without a version, is oldest";
}

TEST(TaskVersion, StreamIdsRoundTrip) {
  EXPECT_EQ(ParseTaskVersion("1526919030474-55"), (TaskVersion{1526919030474, 55}));
  EXPECT_EQ(ParseTaskVersion("0-1"), (TaskVersion{0, 1}));
  EXPECT_EQ(FormatTaskVersion({1526919030474, 55}), "1526919030474-55");
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ParseTaskVersion("9223372036854775807-9223372036854775807"), (TaskVersion{max, max}));
  EXPECT_EQ(FormatTaskVersion({max, 0}), "9223372036854775807-0");
}

TEST(TaskVersion, RejectsWhatIsNoVersion) {
  for (const char* bad : {"", "-", "5", "5-", "-5", "a-1", "1-b", "01-1", "1-01", "+1-1", "1--1",
                          "1-1-1", " 1-1", "9223372036854775808-0", "0-18446744073709551615"}) {
    EXPECT_FALSE(ParseTaskVersion(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ValidTaskVersion({0, 0}));
  EXPECT_FALSE(ValidTaskVersion({-1, 0}));
  EXPECT_FALSE(ValidTaskVersion({0, -1}));
}

}  // namespace
}  // namespace agentfleet::agent::results
