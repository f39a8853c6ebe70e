#include "controller/kube/meta/time.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::meta {
namespace {

using namespace std::chrono_literals;

Clock::Wall At(const char* text) {
  return ParseTime(text).value();
}

TEST(TimeFormat, FormatsAndParsesRfc3339) {
  auto t = At("2026-03-04T05:06:07Z");
  EXPECT_EQ(FormatTime(t), "2026-03-04T05:06:07Z");
  EXPECT_EQ(FormatTime(t + 999ms), "2026-03-04T05:06:07Z");
  EXPECT_EQ(At("2026-03-04T05:06:07.123456Z"), t);
  EXPECT_EQ(At("2026-03-04T07:06:07+02:00"), t);
  EXPECT_EQ(At("2026-03-04T04:36:07-00:30"), t);
  EXPECT_EQ(FormatTime(At("1999-12-31T23:59:59Z")), "1999-12-31T23:59:59Z");
  for (const char* bad :
       {"", "2026-03-04", "2026-03-04T05:06:07", "2026-13-04T05:06:07Z", "2026-02-30T05:06:07Z",
        "2026-03-04T25:06:07Z", "2026-03-04T05:06:07.Z", "2026-03-04T05:06:07Zjunk",
        "2026-03-04T05:06:07+0200", "２026-03-04T05:06:07Z"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << bad;
  }
}

// A time anyone may write into an object (a condition's lastTransitionTime,
// a pod's) must fit the clock's nanoseconds: found by the fuzzers, where year
// 4052 overflowed the conversion (undefined behaviour, a garbage time).
TEST(TimeFormat, TimesTheClockCannotHoldAreRefused) {
  EXPECT_EQ(FormatTime(At("2262-04-11T23:47:16Z")), "2262-04-11T23:47:16Z");
  EXPECT_EQ(FormatTime(At("1677-09-21T00:12:44Z")), "1677-09-21T00:12:44Z");
  for (const char* bad :
       {"2262-04-11T23:47:17Z", "4052-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00", "1677-09-21T00:12:43Z", "0000-01-01T00:00:00+01:00"}) {
    auto t = ParseTime(bad);
    ASSERT_FALSE(t.ok()) << bad << " read as " << FormatTime(*t);
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(t.error().message.find("out of range"), std::string::npos) << t.error().message;
    EXPECT_EQ(ParseUnixSeconds(bad), 0) << bad;
  }
}

TEST(TimeFormat, MicroTimeKeepsMicroseconds) {
  EXPECT_EQ(FormatMicroTime(Clock::Wall{} + std::chrono::microseconds(1'500'000)),
            "1970-01-01T00:00:01.500000Z");
  EXPECT_EQ(FormatMicroTime(At("2026-03-04T05:06:07Z") + 999'999'999ns),
            "2026-03-04T05:06:07.999999Z");
}

TEST(TimeFormat, TruncatesToSeconds) {
  auto t = At("2026-03-04T05:06:07Z");
  EXPECT_EQ(TruncateToSeconds(t + 999ms), t);
  EXPECT_EQ(TruncateToSeconds(t), t);
}

TEST(TimeFormat, UnixSecondsAreZeroWhenMalformed) {
  EXPECT_EQ(ParseUnixSeconds("garbage"), 0);
  EXPECT_EQ(ParseUnixSeconds(""), 0);
  EXPECT_EQ(ParseUnixSeconds("1970-01-01T00:00:10Z"), 10);
  EXPECT_EQ(ParseUnixSeconds("2026-11-28T09:11:18.5+01:00"), 1795853478);
}

}  // namespace
}  // namespace agentfleet::kube::meta
