#include "controller/base/duration.h"

#include <gtest/gtest.h>

namespace agentfleet {
namespace {

using namespace std::chrono_literals;

TEST(Duration, OneWholeNumberAndOneUnit) {
  EXPECT_EQ(*ParseDuration("500ms"), 500ms);
  EXPECT_EQ(*ParseDuration("15s"), 15s);
  EXPECT_EQ(*ParseDuration("2m"), 2min);
  EXPECT_EQ(*ParseDuration("1h"), 1h);
  EXPECT_EQ(*ParseDuration("0s"), 0ms);
}

TEST(Duration, MalformedTextSaysWhatIsExpected) {
  for (auto text : {"", "s", "-1s", "+1s", " 1s", "1.5s"}) {
    auto d = ParseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(d.error().message.starts_with("must be a duration such as 500ms")) << text;
  }
  EXPECT_EQ(ParseDuration("10").error().message,
            "must be a duration such as 500ms, 15s, 2m or 1h (units ms, s, m, h)");
  EXPECT_EQ(ParseDuration("3d").error().message,
            "must be a duration such as 500ms, 15s, 2m or 1h (units ms, s, m, h)");
  EXPECT_EQ(ParseDuration("99999999999h").error().message, "is too long");
}

TEST(Duration, FormatReadsBack) {
  EXPECT_EQ(FormatDuration(15s), "15s");
  EXPECT_EQ(FormatDuration(0ms), "0s");
  EXPECT_EQ(FormatDuration(200ms), "200ms");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  for (auto d : {0ms, 1ms, 999ms, 1000ms, 90'000ms})
    EXPECT_EQ(*ParseDuration(FormatDuration(d)), d);
}

}  // namespace
}  // namespace agentfleet
