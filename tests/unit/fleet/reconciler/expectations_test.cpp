#include "controller/fleet/reconciler/expectations.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using std::chrono::seconds;

std::shared_ptr<const kube::informer::PodRecord> Pod(const std::string& name,
                                                     const std::string& rv) {
  auto p = std::make_shared<kube::informer::PodRecord>();
  p->meta.name = name;
  p->meta.resource_version = rv;
  return p;
}

Clock::Monotonic At(int s) {
  return Clock::Monotonic(seconds(s));
}

TEST(ExpectationsTest, ACreateIsPendingUntilCachedOrTimedOut) {
  Expectations e(seconds(300));
  e.Created("f-0", At(0));
  e.Created("f-1", At(0));
  e.Observe({}, At(10));
  EXPECT_EQ(e.PendingCreates(), (std::vector<std::string>{"f-0", "f-1"}));
  e.Observe({{"f-0", Pod("f-0", "5")}}, At(20));
  EXPECT_EQ(e.PendingCreates(), (std::vector<std::string>{"f-1"}));
  e.Observe({}, At(301));
  EXPECT_TRUE(e.PendingCreates().empty());
}

TEST(ExpectationsTest, AWrittenAssignmentHoldsUntilTheCachedVersionMoves) {
  Expectations e;
  e.Assigned("f-0", {"7", "0-3", 2});
  planner::PodView v{.name = "f-0", .assigned = {9}};
  e.Observe({{"f-0", Pod("f-0", "7")}}, At(0));
  e.Correct(v, 8, planner::Time{});
  EXPECT_EQ(v.assigned, (std::vector<uint32_t>{0, 1, 2, 3}));
  ASSERT_NE(e.Written("f-0"), nullptr);
  EXPECT_EQ(e.Written("f-0")->generation, 2);

  e.Observe({{"f-0", Pod("f-0", "8")}}, At(1));
  EXPECT_EQ(e.Written("f-0"), nullptr);
  planner::PodView fresh{.name = "f-0", .assigned = {9}};
  e.Correct(fresh, 8, planner::Time{});
  EXPECT_EQ(fresh.assigned, (std::vector<uint32_t>{9}));
}

TEST(ExpectationsTest, ARetiringMarkHoldsUntilTheCachedVersionMoves) {
  Expectations e;
  e.MarkedRetiring("f-1", "3");
  e.Observe({{"f-1", Pod("f-1", "3")}}, At(0));
  planner::PodView v{.name = "f-1"};
  const planner::Time now(seconds(1000));
  e.Correct(v, 8, now);
  EXPECT_TRUE(v.retiring);
  EXPECT_EQ(v.retiring_since, now);
  EXPECT_TRUE(e.Marked("f-1"));
  e.Observe({{"f-1", Pod("f-1", "4")}}, At(1));
  EXPECT_FALSE(e.Marked("f-1"));
}

TEST(ExpectationsTest, ADeleteIsPendingUntilTheCacheShowsItOrItTimesOut) {
  Expectations e(seconds(300));
  auto live = [](const std::string& name, const std::string& uid, bool deleting) {
    auto p = std::make_shared<kube::informer::PodRecord>();
    p->meta.name = name;
    p->meta.uid = uid;
    p->meta.deleting = deleting;
    return std::shared_ptr<const kube::informer::PodRecord>(p);
  };
  e.Deleted("u0", At(0));
  e.Deleted("u1", At(0));
  e.Deleted("u2", At(0));
  e.Observe({{"f-0", live("f-0", "u0", false)},
             {"f-1", live("f-1", "u1", true)},
             {"f-2", live("f-2", "u9", false)}},
            At(10));
  EXPECT_TRUE(e.DeletePending("u0"));   // the cache still shows it
  EXPECT_FALSE(e.DeletePending("u1"));  // deleting
  EXPECT_FALSE(e.DeletePending("u2"));  // gone, or recreated under a new uid
  e.SettleDeletes({"u0"}, At(299));
  EXPECT_TRUE(e.DeletePending("u0"));
  e.SettleDeletes({"u0"}, At(300));
  EXPECT_FALSE(e.DeletePending("u0"));  // lost: it may be sent again
}

TEST(ExpectationsTest, ForgetDropsEverythingAboutAPod) {
  Expectations e;
  e.Created("f-2", At(0));
  e.Assigned("f-2", {"1", "0", 1});
  e.MarkedRetiring("f-2", "1");
  e.Forget("f-2");
  EXPECT_FALSE(e.Creating("f-2"));
  EXPECT_EQ(e.Written("f-2"), nullptr);
  EXPECT_FALSE(e.Marked("f-2"));
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
