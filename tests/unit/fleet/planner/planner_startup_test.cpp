// New pods carry their shards from their create, so that their agents work
// from their first second; a pod that does not become Ready within
// kStartLeaseDurations lease durations of its creation gives them back.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/fleet/planner/planner.h"
#include "tests/unit/fleet/planner/plan_builders.h"

namespace agentfleet::fleet::planner {
namespace {

using namespace testing;  // NOLINT: the builders of plan_builders.h

std::vector<uint32_t> ShardsOf(const Plan& plan, std::string_view pod) {
  for (const auto& a : plan.assignments) {
    if (a.pod == pod) return a.shards;
  }
  for (const auto& a : plan.create_assignments) {
    if (a.pod == pod) return a.shards;
  }
  ADD_FAILURE() << "no assignment for " << pod;
  return {};
}

TEST(PlannerStartup, ANewFleetsPodsAreCreatedWithEveryShard) {
  const Plan plan = MakePlan(Manual(3, 0), {});
  ASSERT_EQ(plan.create, (std::vector<std::string>{"f-0", "f-1", "f-2"}));
  ASSERT_EQ(plan.create_assignments.size(), 3u);
  std::vector<uint32_t> all;
  for (size_t i = 0; i < 3; ++i) {
    const PodAssignment& a = plan.create_assignments[i];
    EXPECT_EQ(a.pod, plan.create[i]);
    EXPECT_TRUE(a.changed);
    EXPECT_EQ(a.gained, a.shards);
    EXPECT_GE(a.shards.size(), 3u);
    EXPECT_LE(a.shards.size(), 4u);
    all.insert(all.end(), a.shards.begin(), a.shards.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, Range(0, 10));
  EXPECT_EQ(plan.shards.assigned, 10u);
  EXPECT_EQ(plan.ready_replicas, 0);
}

// The new pod is created with its share; the Ready pod keeps working those
// shards (they are lent) until the new pod is Ready, then lets go of them.
TEST(PlannerStartup, AScaleUpGivesTheNewPodItsShareAtCreateLentUntilReady) {
  PlanInput in = Manual(2, 1);
  in.pods = {Pod("f-0", true, Range(0, 10))};
  in.leases = Held("f-0", Range(0, 10));
  Plan plan = MakePlan(in, {});
  ASSERT_EQ(plan.create, (std::vector<std::string>{"f-1"}));
  ASSERT_EQ(plan.create_assignments.size(), 1u);
  const std::vector<uint32_t> given = plan.create_assignments[0].shards;
  EXPECT_EQ(given.size(), 5u);
  EXPECT_TRUE(plan.create_assignments[0].gained.empty());  // lent: not moving yet
  EXPECT_EQ(ShardsOf(plan, "f-0"), Range(0, 10));
  EXPECT_FALSE(plan.assignments[0].changed);
  EXPECT_EQ(plan.moves, 5u);
  EXPECT_EQ(plan.next_state.lent.size(), 5u);

  // Starting: nothing changes, the loan stands.
  in.current_replicas = 2;
  in.pods.push_back(Pod("f-1", false, given, 100));
  in.now = At(105);
  plan = MakePlan(in, plan.next_state);
  EXPECT_EQ(ShardsOf(plan, "f-0"), Range(0, 10));
  EXPECT_EQ(ShardsOf(plan, "f-1"), given);
  EXPECT_EQ(plan.moves, 0u);

  // Ready: the lender lets go; the new pod keeps what it was created with.
  in.pods[1].ready = true;
  plan = MakePlan(in, plan.next_state);
  EXPECT_EQ(ShardsOf(plan, "f-0").size(), 5u);
  EXPECT_TRUE(plan.assignments[0].changed);
  EXPECT_EQ(ShardsOf(plan, "f-1"), given);
  EXPECT_FALSE(plan.assignments[1].changed);
}

TEST(PlannerStartup, FreeShardsAreGainedAtCreateNotLent) {
  PlanInput in = Manual(2, 1);
  in.pods = {Pod("f-0", true, Range(0, 5))};  // 5-9 belong to no one
  in.leases = Held("f-0", Range(0, 5));
  const Plan plan = MakePlan(in, {});
  ASSERT_EQ(plan.create_assignments.size(), 1u);
  EXPECT_EQ(plan.create_assignments[0].shards, Range(5, 10));
  EXPECT_EQ(plan.create_assignments[0].gained, Range(5, 10));
  EXPECT_TRUE(plan.next_state.lent.empty());
}

// After an operator restart the loans are forgotten: two Ready pods with one
// shard are settled by the lease holder, as any overlap is.
TEST(PlannerStartup, WithoutTheLoansAnOverlapGoesToTheLeaseHolder) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 10)), Pod("f-1", true, Range(5, 10), 90)};
  in.leases = Held("f-0", Range(0, 10));
  const Plan plan = MakePlan(in, {});
  std::vector<uint32_t> all = ShardsOf(plan, "f-0");
  const std::vector<uint32_t> other = ShardsOf(plan, "f-1");
  all.insert(all.end(), other.begin(), other.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, Range(0, 10));  // each shard once
  EXPECT_EQ(ShardsOf(plan, "f-0").size(), 5u);
}

TEST(PlannerStartup, AStartingPodKeepsItsShardsWithinTheBound) {
  PlanInput in = Manual(2, 2);
  // Created 44 s ago: within 3 lease durations (45 s).
  in.pods = {Pod("f-0", true, Range(0, 5)), Pod("f-1", false, Range(5, 10), 56)};
  in.leases = Held("f-0", Range(0, 5));
  const Plan plan = MakePlan(in, {});
  EXPECT_EQ(ShardsOf(plan, "f-0"), Range(0, 5));
  EXPECT_EQ(ShardsOf(plan, "f-1"), Range(5, 10));
  EXPECT_EQ(plan.moves, 0u);
  EXPECT_EQ(plan.ready_replicas, 1);
}

TEST(PlannerStartup, APodNotReadyPastTheBoundGivesItsShardsToReadyPods) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 5)), Pod("f-1", false, Range(5, 10), 54)};  // 46 s
  in.leases = Held("f-0", Range(0, 5));
  const Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.create.empty());  // the ReplicaSet way: not replaced, only drained
  EXPECT_EQ(ShardsOf(plan, "f-0"), Range(0, 10));
  EXPECT_TRUE(ShardsOf(plan, "f-1").empty());
}

TEST(PlannerStartup, AnEndedOrRetiringPodIsNeverStarting) {
  PlanInput in = Manual(1, 1);
  PodView retiring = Pod("f-1", false, Range(5, 10), 95);
  retiring.retiring = true;
  retiring.retiring_since = At(99);
  in.pods = {Pod("f-0", true, Range(0, 5)), retiring};
  in.leases = Held("f-0", Range(0, 5));
  const Plan plan = MakePlan(in, {});
  EXPECT_EQ(ShardsOf(plan, "f-0"), Range(0, 10));
  EXPECT_TRUE(ShardsOf(plan, "f-1").empty());
}

TEST(PlannerStartup, DuringARolloutNewPodsTakeShardsOnlyOnceReady) {
  PlanInput in = Manual(2, 2);
  PodView old0 = Pod("f-0", true, Range(0, 5));
  PodView old1 = Pod("f-1", true, Range(5, 10));
  old0.outdated = old1.outdated = true;
  in.pods = {old0, old1};
  in.leases = Held("f-0", Range(0, 5));
  for (uint32_t s = 5; s < 10; ++s) in.leases->push_back({s, "f-1", true});
  in.rollout.max_surge = {1, false};
  in.rollout.max_unavailable = {0, false};
  in.update_revision = "new";
  const Plan plan = MakePlan(in, {});
  ASSERT_EQ(plan.create.size(), 1u);
  ASSERT_EQ(plan.create_assignments.size(), 1u);
  EXPECT_TRUE(plan.create_assignments[0].shards.empty());
  EXPECT_EQ(ShardsOf(plan, "f-0"), Range(0, 5));
}

}  // namespace
}  // namespace agentfleet::fleet::planner
