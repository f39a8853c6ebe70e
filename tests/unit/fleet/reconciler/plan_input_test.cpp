#include "controller/fleet/reconciler/plan_input.h"

#include <gtest/gtest.h>

#include "tests/unit/fleet/reconciler/test_fleet.h"

namespace agentfleet::fleet::reconciler {
namespace {

kube::informer::PodRecord Pod(std::string name) {
  kube::informer::PodRecord p;
  p.meta.name = std::move(name);
  p.meta.created_unix = 1'000'000;
  return p;
}

TEST(PlanInputTest, ManualFleetMapsSpecFields) {
  api::Fleet f = testing::TestFleet();
  f.meta.annotations = {{"agentfleet.io/paused", "true"}};
  planner::PlanInput in = PlanInputFromFleet(f);
  EXPECT_EQ(in.fleet, "pricing");
  EXPECT_EQ(in.shards, 12u);
  EXPECT_FALSE(in.autoscaling.has_value());
  EXPECT_EQ(in.manual_replicas, 3);
  EXPECT_TRUE(in.paused);
  EXPECT_EQ(in.lease_duration, planner::Seconds(20));
  EXPECT_EQ(in.drain_timeout, planner::Seconds(120));
}

TEST(PlanInputTest, AutoscalingMapsEveryField) {
  api::Fleet f = testing::TestFleet();
  api::AutoscalingSpec a;
  a.min_replicas = 0;
  a.max_replicas = 9;
  a.target_queue_depth_per_agent = 50;
  a.activation_queue_depth = 7;
  a.behavior.scale_down.stabilization_window = api::Seconds(60);
  a.behavior.scale_down.select_policy = api::SelectPolicy::kMin;
  a.behavior.scale_down.policies = {{api::PolicyType::kPercent, 50, api::Seconds(30)}};
  a.behavior.scale_up.select_policy = api::SelectPolicy::kDisabled;
  a.fallback = api::Fallback{4, 2};
  f.spec.autoscaling = a;
  planner::PlanInput in = PlanInputFromFleet(f);
  ASSERT_TRUE(in.autoscaling.has_value());
  const auto& p = *in.autoscaling;
  EXPECT_EQ(p.min_replicas, 0);
  EXPECT_EQ(p.max_replicas, 9);
  EXPECT_EQ(p.target_queue_depth_per_agent, 50);
  EXPECT_EQ(p.activation_queue_depth, 7);
  EXPECT_EQ(p.behavior.scale_down.stabilization_window_seconds, 60);
  EXPECT_EQ(p.behavior.scale_down.select_policy, planner::SelectPolicy::kMin);
  ASSERT_EQ(p.behavior.scale_down.policies.size(), 1u);
  EXPECT_EQ(p.behavior.scale_down.policies[0].type, planner::ScalingPolicyType::kPercent);
  EXPECT_EQ(p.behavior.scale_down.policies[0].value, 50);
  EXPECT_EQ(p.behavior.scale_down.policies[0].period_seconds, 30);
  EXPECT_EQ(p.behavior.scale_up.select_policy, planner::SelectPolicy::kDisabled);
  // The API's defaults arrive as explicit values: 4 pods or 100 % per 15 s.
  EXPECT_EQ(p.behavior.scale_up.policies.size(), 2u);
  ASSERT_TRUE(p.fallback.has_value());
  EXPECT_EQ(p.fallback->failure_threshold, 4);
  EXPECT_EQ(p.fallback->replicas, 2);
}

TEST(PlanInputTest, PodViewReadsAnnotations) {
  kube::informer::PodRecord p = Pod("pricing-0");
  p.ready = true;
  p.meta.annotations = {{"agentfleet.io/retiring", "2026-01-01T00:00:10Z"},
                        {"agentfleet.io/shards", "0-2,7"}};
  planner::PodView v = ToPodView(p, 12);
  EXPECT_EQ(v.name, "pricing-0");
  EXPECT_TRUE(v.ready);
  EXPECT_TRUE(v.retiring);
  EXPECT_EQ(v.retiring_since, planner::Time(std::chrono::seconds(1767225610)));
  EXPECT_EQ(v.created_at, planner::Time(std::chrono::seconds(1'000'000)));
  EXPECT_EQ(v.assigned, (std::vector<uint32_t>{0, 1, 2, 7}));
}

TEST(PlanInputTest, PodViewWithoutAnnotationsIsEmptyAndNotRetiring) {
  planner::PodView v = ToPodView(Pod("pricing-1"), 12);
  EXPECT_FALSE(v.ready);
  EXPECT_FALSE(v.retiring);
  EXPECT_TRUE(v.assigned.empty());
}

TEST(PlanInputTest, MalformedAnnotationsDegradeSafely) {
  kube::informer::PodRecord p = Pod("pricing-2");
  p.meta.annotations = {{"agentfleet.io/retiring", "yesterday"}, {"agentfleet.io/shards", "3-1"}};
  planner::PodView v = ToPodView(p, 12);
  EXPECT_TRUE(v.retiring);
  EXPECT_EQ(v.retiring_since, v.created_at);
  EXPECT_TRUE(v.assigned.empty());
  // A shard beyond the fleet's count makes the annotation invalid as a whole.
  p.meta.annotations = {{"agentfleet.io/shards", "0-12"}};
  EXPECT_TRUE(ToPodView(p, 12).assigned.empty());
}

TEST(PlanInputTest, LeaseViewsJudgeValidityAtTheStoreInstant) {
  sources::lease::LeaseSnapshot s;
  s.now_ms = 1000;
  s.records = {{0, "pricing-0", 5, 2000}, {1, "pricing-1", 6, 1000}, {2, "", 7, 5000}};
  auto views = ToLeaseViews(s);
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0].shard, 0u);
  EXPECT_EQ(views[0].holder, "pricing-0");
  EXPECT_TRUE(views[0].valid);
  EXPECT_FALSE(views[1].valid);  // expires exactly now
  EXPECT_FALSE(views[2].valid);  // released
}

// An agent holds leases as "<pod>/<suffix>": the planner must see the pod.
TEST(PlanInputTest, LeaseHoldersMapToTheirPods) {
  EXPECT_EQ(HolderPod("pricing-0/3f9a0c2b7e1d4a65"), "pricing-0");
  EXPECT_EQ(HolderPod("pricing-0"), "pricing-0");
  EXPECT_EQ(HolderPod(""), "");
  sources::lease::LeaseSnapshot s;
  s.now_ms = 1000;
  s.records = {{4, "pricing-2/00aa11bb22cc33dd", 9, 9000}};
  auto views = ToLeaseViews(s);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].holder, "pricing-2");
  EXPECT_TRUE(views[0].valid);
}

// The autoscaler's starting point: its own last decision; after a restart the
// stored status's (so that a restarted operator does not scale down to the
// pods it happens to see); for a fleet never reconciled, the pods present.
TEST(PlanInputTest, CurrentReplicasPrefersTheLastPlanThenTheStoredStatus) {
  api::Fleet f = testing::TestFleet();
  EXPECT_EQ(CurrentReplicas(std::nullopt, f, 2), 2);
  f.status.desired_replicas = 7;
  EXPECT_EQ(CurrentReplicas(std::nullopt, f, 2), 2);  // no conditions: never reconciled
  f.status.conditions.push_back({.type = "Ready"});
  EXPECT_EQ(CurrentReplicas(std::nullopt, f, 2), 7);
  EXPECT_EQ(CurrentReplicas(4, f, 2), 4);
}

TEST(PlanInputTest, AssignmentGeneration) {
  kube::informer::PodRecord p = Pod("pricing-0");
  EXPECT_EQ(AssignmentGeneration(p), 0);
  p.meta.annotations = {{"agentfleet.io/assignment-generation", "17"}};
  EXPECT_EQ(AssignmentGeneration(p), 17);
  p.meta.annotations = {{"agentfleet.io/assignment-generation", "-3"}};
  EXPECT_EQ(AssignmentGeneration(p), 0);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
