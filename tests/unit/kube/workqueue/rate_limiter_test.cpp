#include "controller/kube/workqueue/rate_limiter.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::workqueue {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(ItemExponentialFailureRateLimiter, DoublesPerItemUntilMaxThenForgets) {
  ItemExponentialFailureRateLimiter l(milliseconds(5), seconds(1000));
  EXPECT_EQ(l.When("a"), milliseconds(5));
  EXPECT_EQ(l.When("a"), milliseconds(10));
  EXPECT_EQ(l.When("a"), milliseconds(20));
  EXPECT_EQ(l.When("b"), milliseconds(5));  // independent per item
  EXPECT_EQ(l.NumRequeues("a"), 3);
  EXPECT_EQ(l.NumRequeues("b"), 1);
  for (int i = 0; i < 100; ++i) l.When("a");
  EXPECT_EQ(l.When("a"), seconds(1000));  // capped, no overflow at 2^100
  l.Forget("a");
  EXPECT_EQ(l.NumRequeues("a"), 0);
  EXPECT_EQ(l.When("a"), milliseconds(5));
}

TEST(DefaultControllerRateLimiter, PerItemExponentialUnderTheOverallBucket) {
  FakeClock clock;
  auto l = DefaultControllerRateLimiter(clock);
  // 5 ms, 10 ms, ... for one item while the bucket (burst 100) has tokens.
  EXPECT_EQ(l->When("x"), milliseconds(5));
  EXPECT_EQ(l->When("x"), milliseconds(10));
  EXPECT_EQ(l->NumRequeues("x"), 2);
  // Exhaust the burst with distinct items: then the bucket (10 qps) dominates.
  for (int i = 0; i < 98; ++i) l->When("item-" + std::to_string(i));
  EXPECT_EQ(l->When("fresh"), milliseconds(100));
  EXPECT_EQ(l->When("fresh2"), milliseconds(200));
  l->Forget("x");
  EXPECT_EQ(l->NumRequeues("x"), 0);
}

TEST(MaxOfRateLimiter, TakesTheLongestAndForgetsEverywhere) {
  std::vector<std::unique_ptr<RateLimiter>> ls;
  ls.push_back(std::make_unique<ItemExponentialFailureRateLimiter>(milliseconds(1), seconds(1)));
  ls.push_back(std::make_unique<ItemExponentialFailureRateLimiter>(milliseconds(3), seconds(1)));
  MaxOfRateLimiter l(std::move(ls));
  EXPECT_EQ(l.When("k"), milliseconds(3));
  EXPECT_EQ(l.When("k"), milliseconds(6));
  EXPECT_EQ(l.NumRequeues("k"), 2);
  l.Forget("k");
  EXPECT_EQ(l.When("k"), milliseconds(3));
}

}  // namespace
}  // namespace agentfleet::kube::workqueue
