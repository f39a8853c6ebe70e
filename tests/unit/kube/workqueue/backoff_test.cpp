#include "controller/kube/workqueue/backoff.h"

#include <gtest/gtest.h>

#include <vector>

namespace agentfleet::kube::workqueue {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

std::vector<nanoseconds> Take(Backoff& b, int n) {
  std::vector<nanoseconds> out;
  for (int i = 0; i < n; ++i) out.push_back(b.Next());
  return out;
}

TEST(Backoff, DoublesUpToTheCap) {
  FakeClock clock;
  BackoffPolicy p = kWatchBackoff;
  p.jitter = 0;
  Backoff b(p, clock);
  EXPECT_EQ(Take(b, 9),
            (std::vector<nanoseconds>{milliseconds(800), milliseconds(1600), milliseconds(3200),
                                      milliseconds(6400), milliseconds(12800), milliseconds(25600),
                                      seconds(30), seconds(30), seconds(30)}));
}

TEST(Backoff, JitterAddsUpToJitterTimesTheDelay) {
  FakeClock clock;
  double u = 0.5;
  Backoff b(kWatchBackoff, clock, [&] { return u; });
  EXPECT_EQ(b.Next(), milliseconds(1200));  // 800 + 0.5*1.0*800
  u = 0.0;
  EXPECT_EQ(b.Next(), milliseconds(1600));
  u = 0.999;
  auto d = b.Next();
  EXPECT_GE(d, milliseconds(3200));
  EXPECT_LT(d, milliseconds(6400));
}

TEST(Backoff, DefaultRandomJitterStaysInRange) {
  FakeClock clock;
  Backoff b(kWatchBackoff, clock);
  for (int i = 0; i < 100; ++i) {
    auto d = b.Next();
    ASSERT_GE(d, milliseconds(800));
    ASSERT_LT(d, seconds(60));
  }
}

TEST(Backoff, ResetsAfterAHealthyPeriod) {
  FakeClock clock;
  BackoffPolicy p = kWatchBackoff;
  p.jitter = 0;
  Backoff b(p, clock);
  Take(b, 4);  // next would be 12.8 s
  clock.Advance(seconds(119));
  EXPECT_EQ(b.Next(), milliseconds(12800));  // 2 min not yet passed since the last backoff
  clock.Advance(seconds(121));
  EXPECT_EQ(b.Next(), milliseconds(800));  // healthy for over 2 min: starts over
  EXPECT_EQ(b.Next(), milliseconds(1600));
}

TEST(Backoff, ExplicitResetAndNoTimeReset) {
  FakeClock clock;
  Backoff b({milliseconds(10), 3.0, seconds(1), 0, nanoseconds(0)}, clock);
  EXPECT_EQ(Take(b, 3),
            (std::vector<nanoseconds>{milliseconds(10), milliseconds(30), milliseconds(90)}));
  clock.Advance(std::chrono::hours(24));
  EXPECT_EQ(b.Next(), milliseconds(270));  // reset_after 0: never resets by time
  b.Reset();
  EXPECT_EQ(b.Next(), milliseconds(10));
}

}  // namespace
}  // namespace agentfleet::kube::workqueue
