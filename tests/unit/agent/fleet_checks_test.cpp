#include "tests/integration/agent/fleet_checks.h"

#include <gtest/gtest.h>

namespace agentfleet::agent::testing {
namespace {

using sources::lease::LeaseRecord;
using sources::lease::LeaseSnapshot;

TEST(LeaseChecker, CleanHandOffCountsAndPasses) {
  LeaseChecker c;
  c.Observe(LeaseSnapshot{1000, {LeaseRecord{0, "a", 10, 2000}, LeaseRecord{1, "b", 11, 2000}}});
  c.Observe(LeaseSnapshot{1500, {LeaseRecord{0, "", 10, 0}, LeaseRecord{1, "b", 11, 2500}}});
  c.Observe(LeaseSnapshot{1600, {LeaseRecord{0, "b", 12, 3000}, LeaseRecord{1, "b", 11, 2500}}});
  EXPECT_TRUE(c.violations().empty());
  EXPECT_EQ(c.handoffs(), 1);
  EXPECT_EQ(c.max_valid_per_shard(), 1);
}

TEST(LeaseChecker, FlagsDoubleHoldersTokenRegressionAndReuse) {
  LeaseChecker two;
  two.Observe(LeaseSnapshot{1000, {LeaseRecord{3, "a", 10, 2000}, LeaseRecord{3, "b", 11, 2000}}});
  ASSERT_EQ(two.violations().size(), 1u);
  EXPECT_NE(two.violations()[0].find("two valid holders"), std::string::npos);
  EXPECT_EQ(two.max_valid_per_shard(), 2);

  LeaseChecker down;
  down.Observe(LeaseSnapshot{1000, {LeaseRecord{3, "a", 10, 2000}}});
  down.Observe(LeaseSnapshot{1100, {LeaseRecord{3, "b", 9, 2000}}});
  EXPECT_EQ(down.violations().size(), 1u);

  LeaseChecker reuse;
  reuse.Observe(LeaseSnapshot{1000, {LeaseRecord{3, "a", 10, 2000}}});
  reuse.Observe(LeaseSnapshot{1100, {LeaseRecord{3, "b", 10, 2000}}});
  ASSERT_EQ(reuse.violations().size(), 1u);
  EXPECT_NE(reuse.violations()[0].find("held by both"), std::string::npos);
}

ResultSample Sample(std::map<uint32_t, int64_t> marks,
                    std::map<std::string, StoredResult> results) {
  return ResultSample{std::move(marks), std::move(results)};
}

TEST(ResultChecker, FencedHistoryPasses) {
  ResultChecker c;
  c.Observe(Sample({{0, 10}}, {{"p1", {10, 0, 107}}}));
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 107}}, {"p2", {12, 0, 214}}}));
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 107}}, {"p2", {12, 0, 214}}}));
  c.Verify({{"p1", {0, 107}}, {"p2", {0, 214}}});
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
  EXPECT_EQ(c.rewrites(), 1);
  EXPECT_EQ(c.stale_accepted(), 0);
}

TEST(ResultChecker, FlagsAStaleWriteAccepted) {
  ResultChecker c;
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 107}}}));
  // p2 appears with token 10 although shard 0 had accepted 12 before.
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 107}}, {"p2", {10, 0, 214}}}));
  EXPECT_EQ(c.stale_accepted(), 1);
  ASSERT_FALSE(c.violations().empty());
  EXPECT_NE(c.violations()[0].find("stale write accepted"), std::string::npos);
}

TEST(ResultChecker, FlagsMarkRegressionMissingAndWrongResults) {
  ResultChecker c;
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 107}}}));
  c.Observe(Sample({{0, 11}}, {{"p1", {11, 0, 107}}}));
  EXPECT_FALSE(c.violations().empty());

  ResultChecker v;
  v.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 100}}}));
  v.Verify({{"p1", {0, 107}}, {"p2", {0, 214}}});
  EXPECT_EQ(v.violations().size(), 3u);  // wrong price, missing p2, count
}

// Many tasks per product: newer tasks replace a product's price; an older
// task's price replacing a newer one's is the violation, seen in the samples
// as the stored task version going down, and at the end as a price that is
// not the newest task's.
TEST(ResultChecker, NewerTasksReplacingAPricePass) {
  ResultChecker c;
  c.Observe(Sample({{0, 10}}, {{"p1", {10, 0, 107, {5, 0}}}}));
  c.Observe(Sample({{0, 10}}, {{"p1", {10, 0, 214, {5, 1}}}}));
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 321, {9, 0}}}}));
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 321, {9, 0}}}}));  // a repeated delivery
  c.Verify({{"p1", {0, 321, {9, 0}}}});
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
  EXPECT_EQ(c.rewrites(), 2);
  EXPECT_EQ(c.version_regressions(), 0);
}

TEST(ResultChecker, FlagsAnOlderTaskOverwritingANewerOne) {
  ResultChecker c;
  c.Observe(Sample({{0, 10}}, {{"p1", {10, 0, 321, {9, 0}}}}));
  // After a hand-off, the new owner (token 12) claims the older task 5-1 late.
  c.Observe(Sample({{0, 12}}, {{"p1", {12, 0, 214, {5, 1}}}}));
  EXPECT_EQ(c.version_regressions(), 1);
  EXPECT_EQ(c.stale_accepted(), 0) << "fencing-wise the write was legitimate";
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_NE(c.violations()[0].find("task 5-1 overwrote the newer task 9-0"), std::string::npos)
      << c.violations()[0];

  c.Verify({{"p1", {0, 321, {9, 0}}}});
  ASSERT_EQ(c.violations().size(), 2u);
  EXPECT_NE(c.violations()[1].find("stored price 214 of task 5-1"), std::string::npos)
      << c.violations()[1];
  EXPECT_NE(c.violations()[1].find("want 321 of its newest task 9-0"), std::string::npos)
      << c.violations()[1];
}

}  // namespace
}  // namespace agentfleet::agent::testing
