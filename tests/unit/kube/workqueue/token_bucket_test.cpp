#include "controller/kube/workqueue/token_bucket.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace agentfleet::kube::workqueue {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(TokenBucket, StartsFullThenRefillsAtQps) {
  FakeClock clock;
  TokenBucket b(10, 3, clock);
  EXPECT_TRUE(b.TryAccept());
  EXPECT_TRUE(b.TryAccept());
  EXPECT_TRUE(b.TryAccept());
  EXPECT_FALSE(b.TryAccept());
  clock.Advance(milliseconds(99));
  EXPECT_FALSE(b.TryAccept());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(b.TryAccept());
  EXPECT_FALSE(b.TryAccept());
}

TEST(TokenBucket, NeverHoldsMoreThanBurst) {
  FakeClock clock;
  TokenBucket b(10, 2, clock);
  clock.Advance(std::chrono::hours(1));
  EXPECT_DOUBLE_EQ(b.Tokens(), 2);
  EXPECT_TRUE(b.TryAccept());
  EXPECT_TRUE(b.TryAccept());
  EXPECT_FALSE(b.TryAccept());
}

TEST(TokenBucket, ReservationsQueueUpOneIntervalApart) {
  FakeClock clock;
  TokenBucket b(10, 2, clock);  // 100 ms per token
  EXPECT_EQ(b.Reserve(), nanoseconds(0));
  EXPECT_EQ(b.Reserve(), nanoseconds(0));
  EXPECT_EQ(b.Reserve(), milliseconds(100));
  EXPECT_EQ(b.Reserve(), milliseconds(200));
  EXPECT_EQ(b.Reserve(), milliseconds(300));
  EXPECT_DOUBLE_EQ(b.Tokens(), -3);
  clock.Advance(milliseconds(300));
  EXPECT_DOUBLE_EQ(b.Tokens(), 0);
  EXPECT_EQ(b.Reserve(), milliseconds(100));
}

TEST(TokenBucket, WaitSleepsThroughTheInjectedSleeper) {
  FakeClock clock;
  TokenBucket b(5, 1, clock);  // 200 ms per token
  std::vector<nanoseconds> slept;
  auto sleeper = [&](nanoseconds d) {
    slept.push_back(d);
    clock.Advance(d);
  };
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(b.Wait(nanoseconds::max(), sleeper).ok());
  EXPECT_EQ(slept,
            (std::vector<nanoseconds>{milliseconds(200), milliseconds(200), milliseconds(200)}));
}

TEST(TokenBucket, WaitGivesUpWithoutTakingWhenTheDeadlineIsTooClose) {
  FakeClock clock;
  TokenBucket b(1, 1, clock);
  ASSERT_TRUE(b.TryAccept());
  int sleeps = 0;
  auto s = b.Wait(milliseconds(500), [&](nanoseconds) { ++sleeps; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(sleeps, 0);
  EXPECT_DOUBLE_EQ(b.Tokens(), 0);  // nothing was taken
  clock.Advance(milliseconds(500));
  EXPECT_TRUE(b.Wait(milliseconds(500), [&](nanoseconds d) {
                 ++sleeps;
                 clock.Advance(d);
               }).ok());
  EXPECT_EQ(sleeps, 1);
}

TEST(TokenBucket, FractionalQpsAndUnlimited) {
  FakeClock clock;
  TokenBucket slow(0.5, 1, clock);
  EXPECT_EQ(slow.Reserve(), nanoseconds(0));
  EXPECT_EQ(slow.Reserve(), std::chrono::seconds(2));
  TokenBucket unlimited(std::numeric_limits<double>::infinity(), 1, clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(unlimited.TryAccept());
}

TEST(TokenBucket, RejectsBadConfiguration) {
  FakeClock clock;
  EXPECT_THROW(TokenBucket(0, 1, clock), std::invalid_argument);
  EXPECT_THROW(TokenBucket(-1, 1, clock), std::invalid_argument);
  EXPECT_THROW(TokenBucket(std::nan(""), 1, clock), std::invalid_argument);
  EXPECT_THROW(TokenBucket(1, 0, clock), std::invalid_argument);
}

}  // namespace
}  // namespace agentfleet::kube::workqueue
