#include "controller/base/result.h"

#include <gtest/gtest.h>

#include <memory>

#include "controller/base/clock.h"

namespace agentfleet {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return MakeError(ErrorCode::kInvalidArgument, "odd number " + std::to_string(x));
  return x / 2;
}

TEST(Result, HoldsValueOrError) {
  auto good = Half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  auto bad = Half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().ToString(), "InvalidArgument: odd number 3");
}

TEST(Result, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(Result, RetryableCodes) {
  EXPECT_TRUE(MakeError(ErrorCode::kUnavailable, "").Retryable());
  EXPECT_TRUE(MakeError(ErrorCode::kTimeout, "").Retryable());
  EXPECT_TRUE(MakeError(ErrorCode::kTooManyRequests, "").Retryable());
  EXPECT_FALSE(MakeError(ErrorCode::kInvalidArgument, "").Retryable());
  EXPECT_FALSE(MakeError(ErrorCode::kForbidden, "").Retryable());
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.Now();
  auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(clock.WallNow() - w0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace agentfleet
