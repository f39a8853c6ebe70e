#include "controller/fleet/reconciler/fleet_status.h"

#include <gtest/gtest.h>

#include "controller/fleet/api/conditions.h"
#include "tests/unit/fleet/reconciler/test_fleet.h"

namespace agentfleet::fleet::reconciler {
namespace {

const Clock::Wall kNow = Clock::Wall(std::chrono::seconds(1'800'000'000));

planner::Plan SamplePlan() {
  planner::Plan p;
  p.scale.current = 3;
  p.scale.desired = 3;
  p.ready_replicas = 2;
  p.shards = {12, 12, 10, 1, 1, true};
  p.conditions = {{"Ready", planner::ConditionStatus::kFalse, "Scaling", "2 of 3 ready"},
                  {"Progressing", planner::ConditionStatus::kTrue, "Moving", "1 shard moving"}};
  return p;
}

TEST(FleetStatusTest, FromPlan) {
  api::Fleet f = testing::TestFleet();
  planner::Plan plan = SamplePlan();
  api::FleetStatus s = StatusFromPlan({&f, &plan, 3, int64_t{42}, kNow});
  EXPECT_EQ(s.observed_generation, 3);
  EXPECT_EQ(s.replicas, 3);
  EXPECT_EQ(s.ready_replicas, 2);
  EXPECT_EQ(s.desired_replicas, 3);
  EXPECT_EQ(s.queue_depth, 42);
  EXPECT_FALSE(s.last_scale_time.has_value());
  EXPECT_EQ(s.shards, (api::ShardCounts{12, 12, 10, 1, 1}));
  EXPECT_EQ(s.selector, "agentfleet.io/fleet=pricing");
  ASSERT_EQ(s.conditions.size(), 2u);
  EXPECT_EQ(s.conditions[0].type, "Ready");
  EXPECT_EQ(s.conditions[0].status, api::ConditionStatus::kFalse);
  EXPECT_EQ(s.conditions[0].observed_generation, 3);
  EXPECT_EQ(s.conditions[0].last_transition_time, kNow);
  EXPECT_EQ(s.conditions[1].reason, "Moving");
}

TEST(FleetStatusTest, ConvergedFleetYieldsAnEqualStatus) {
  api::Fleet f = testing::TestFleet();
  planner::Plan plan = SamplePlan();
  f.status = StatusFromPlan({&f, &plan, 3, int64_t{42}, kNow});
  // Later, same observations: nothing moves, not even transition times.
  api::FleetStatus again =
      StatusFromPlan({&f, &plan, 3, int64_t{42}, kNow + std::chrono::hours(1)});
  EXPECT_EQ(again, f.status);
}

TEST(FleetStatusTest, FailedReadKeepsTheLastDepthAndScaleStampsTheTime) {
  api::Fleet f = testing::TestFleet();
  f.status.queue_depth = 9;
  planner::Plan plan = SamplePlan();
  plan.scale.desired = 5;
  api::FleetStatus s = StatusFromPlan({&f, &plan, 3, std::nullopt, kNow});
  EXPECT_EQ(s.queue_depth, 9);
  ASSERT_TRUE(s.last_scale_time.has_value());
  EXPECT_EQ(*s.last_scale_time, kNow);
}

TEST(FleetStatusTest, InvalidStatusSetsReadyFalseAndKeepsTheRest) {
  api::FleetStatus current;
  current.replicas = 3;
  api::FleetStatus s =
      InvalidStatus(current, 4, "agentfleet.io/fleet=pricing", "SecretNotFound", "no Secret", kNow);
  EXPECT_EQ(s.replicas, 3);
  EXPECT_EQ(s.observed_generation, 4);
  const api::Condition* c = api::FindCondition(s.conditions, "Ready");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, api::ConditionStatus::kFalse);
  EXPECT_EQ(c->reason, "SecretNotFound");
  EXPECT_EQ(c->message, "no Secret");
}

TEST(FleetStatusTest, NameConflictIsAbsentUntilSeenThenTrueThenFalse) {
  api::FleetStatus s;
  s.conditions.push_back({"Degraded", api::ConditionStatus::kFalse, 3, kNow, "AsExpected", ""});
  SetNameConflict(s, "", 3, kNow);
  EXPECT_EQ(api::FindCondition(s.conditions, "PodNameConflict"), nullptr);

  SetNameConflict(s, "pod pricing-0 already exists and is not this fleet's", 3, kNow);
  const api::Condition* c = api::FindCondition(s.conditions, "PodNameConflict");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, api::ConditionStatus::kTrue);
  EXPECT_EQ(c->reason, "PodNameTaken");
  const api::Condition* d = api::FindCondition(s.conditions, "Degraded");
  EXPECT_EQ(d->status, api::ConditionStatus::kTrue);
  EXPECT_EQ(d->reason, "PodNameConflict");
  EXPECT_EQ(d->message, c->message);

  SetNameConflict(s, "", 3, kNow + std::chrono::seconds(5));
  c = api::FindCondition(s.conditions, "PodNameConflict");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, api::ConditionStatus::kFalse);
  EXPECT_EQ(c->reason, "NoConflict");
  EXPECT_EQ(c->last_transition_time, kNow + std::chrono::seconds(5));
}

// A source fault explains a degraded fleet first; the conflict keeps its own
// condition.
TEST(FleetStatusTest, NameConflictLeavesADegradedSourceFaultInPlace) {
  api::FleetStatus s;
  s.conditions.push_back(
      {"Degraded", api::ConditionStatus::kTrue, 3, kNow, "LeasesUnavailable", "timeout"});
  SetNameConflict(s, "pod pricing-0 already exists and is not this fleet's", 3, kNow);
  EXPECT_EQ(api::FindCondition(s.conditions, "Degraded")->reason, "LeasesUnavailable");
  EXPECT_EQ(api::FindCondition(s.conditions, "PodNameConflict")->status,
            api::ConditionStatus::kTrue);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
