#include "controller/fleet/planner/conditions.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::planner {
namespace {

ConditionsInput Converged() {
  ConditionsInput in;
  in.scale = {.current = 3, .desired = 3, .reason = ScaleReason::kSteady, .message = "steady"};
  in.ready_replicas = 3;
  in.shards = {.total = 12, .assigned = 12, .held = 12};
  return in;
}

Condition Get(const std::vector<Condition>& all, std::string_view type) {
  for (const auto& c : all) {
    if (c.type == type) return c;
  }
  ADD_FAILURE() << "no condition " << type;
  return all.front();
}

TEST(Conditions, ConvergedFleet) {
  const auto all = FleetConditions(Converged());
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].type, "Ready");
  EXPECT_EQ(Get(all, "Ready").status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(all, "Ready").reason, "AllShardsHeld");
  EXPECT_EQ(Get(all, "Progressing").status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(all, "Degraded").status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(all, "ScalingLimited").status, ConditionStatus::kFalse);
}

TEST(Conditions, NotReadyWhileShardsAreMovingOrPodsStarting) {
  ConditionsInput in = Converged();
  in.shards.held = 9;
  in.shards.moving = 2;
  in.shards.unowned = 1;
  in.moves = 3;
  auto all = FleetConditions(in);
  EXPECT_EQ(Get(all, "Ready").reason, "ShardsNotHeld");
  EXPECT_EQ(Get(all, "Ready").message, "9 of 12 shards held (2 moving, 1 unowned)");
  EXPECT_EQ(Get(all, "Progressing").reason, "Rebalancing");

  in = Converged();
  in.scale.desired = 5;
  in.creating = 2;
  all = FleetConditions(in);
  EXPECT_EQ(Get(all, "Ready").reason, "PodsNotReady");
  EXPECT_EQ(Get(all, "Progressing").reason, "CreatingPods");
}

TEST(Conditions, DegradedOnStuckAgentsSourceFailuresOrLeaseOutage) {
  ConditionsInput in = Converged();
  in.stuck = 1;
  EXPECT_EQ(Get(FleetConditions(in), "Degraded").reason, "AgentStuck");
  in = Converged();
  in.source_failures = 2;
  EXPECT_EQ(Get(FleetConditions(in), "Degraded").reason, "QueueDepthUnavailable");
  in = Converged();
  in.shards = {.total = 12, .assigned = 12, .leases_known = false};
  const auto all = FleetConditions(in);
  EXPECT_EQ(Get(all, "Degraded").reason, "LeasesUnavailable");
  EXPECT_EQ(Get(all, "Ready").status, ConditionStatus::kUnknown);
}

TEST(Conditions, ScalingLimitedCarriesTheAutoscalerReason) {
  ConditionsInput in = Converged();
  in.scale.reason = ScaleReason::kLimitedByMax;
  in.scale.message = "capped";
  const Condition c = Get(FleetConditions(in), "ScalingLimited");
  EXPECT_EQ(c.status, ConditionStatus::kTrue);
  EXPECT_EQ(c.reason, "LimitedByMax");
  EXPECT_EQ(c.message, "capped");
}

TEST(Conditions, ScaledToZeroIsReady) {
  ConditionsInput in;
  in.scale = {.current = 0, .desired = 0, .reason = ScaleReason::kBelowActivation};
  in.shards = {.total = 12, .unowned = 12};
  const auto all = FleetConditions(in);
  EXPECT_EQ(Get(all, "Ready").reason, "ScaledToZero");
  EXPECT_EQ(Get(all, "Progressing").status, ConditionStatus::kFalse);
}

}  // namespace
}  // namespace agentfleet::fleet::planner
