#include "controller/fleet/planner/planner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/fleet/planner/plan_builders.h"

namespace agentfleet::fleet::planner {
namespace {

using namespace testing;  // NOLINT: the builders of plan_builders.h

const PodAssignment& For(const Plan& plan, std::string_view pod) {
  for (const auto& a : plan.assignments) {
    if (a.pod == pod) return a;
  }
  ADD_FAILURE() << "no assignment for " << pod;
  return plan.assignments.front();
}

const Condition& Cond(const Plan& plan, std::string_view type) {
  for (const auto& c : plan.conditions) {
    if (c.type == type) return c;
  }
  ADD_FAILURE() << "no condition " << type;
  return plan.conditions.front();
}

TEST(Planner, NewFleetCreatesItsPods) {
  const Plan plan = MakePlan(Manual(3, 0), {});
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-0", "f-1", "f-2"}));
  EXPECT_EQ(plan.scale.desired, 3);
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_EQ(plan.events[0].reason, "ScaledUp");
  EXPECT_EQ(plan.shards.assigned, 10u);  // the new pods are created with them
  EXPECT_EQ(plan.shards.unowned, 10u);
  EXPECT_EQ(Cond(plan, "Ready").reason, "PodsNotReady");
  EXPECT_EQ(Cond(plan, "Progressing").reason, "CreatingPods");
}

TEST(Planner, ReadyPodsShareTheShardsEvenly) {
  PlanInput in = Manual(3, 3);
  in.pods = {Pod("f-2", true), Pod("f-0", true), Pod("f-1", true)};
  const Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.create.empty());
  ASSERT_EQ(plan.assignments.size(), 3u);
  EXPECT_EQ(plan.assignments[0].pod, "f-0");  // planner order: by index
  EXPECT_EQ(For(plan, "f-0").shards, Range(0, 4));
  EXPECT_EQ(For(plan, "f-1").shards, Range(4, 7));
  EXPECT_EQ(For(plan, "f-2").shards, Range(7, 10));
  EXPECT_TRUE(For(plan, "f-0").changed);
  EXPECT_EQ(plan.moves, 10u);
  EXPECT_EQ(plan.minimum_moves, 10u);
  EXPECT_EQ(plan.ready_replicas, 3);
}

// Only the shards a pod gains move to it: the hand-offs the reconciler times.
TEST(Planner, AnAssignmentSaysWhichShardsThePodGains) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 10)), Pod("f-1", true)};
  const Plan plan = MakePlan(in, {});
  EXPECT_TRUE(For(plan, "f-0").changed);
  EXPECT_TRUE(For(plan, "f-0").gained.empty());  // it shrinks
  EXPECT_EQ(For(plan, "f-1").gained, For(plan, "f-1").shards);
  EXPECT_EQ(For(plan, "f-1").gained.size(), 5u);
}

TEST(Planner, ShardStillHeldByItsPreviousOwnerIsMoving) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 10)), Pod("f-1", true)};
  *in.leases = Held("f-0", Range(0, 10));
  const Plan plan = MakePlan(in, {});
  EXPECT_EQ(For(plan, "f-0").shards, Range(0, 5));
  EXPECT_EQ(For(plan, "f-1").shards, Range(5, 10));
  EXPECT_EQ(plan.moves, 5u);
  EXPECT_EQ(plan.shards.held, 5u);
  EXPECT_EQ(plan.shards.moving, 5u);
  EXPECT_EQ(plan.shards.unowned, 0u);
  EXPECT_EQ(Cond(plan, "Ready").reason, "ShardsNotHeld");
  EXPECT_EQ(Cond(plan, "Progressing").reason, "Rebalancing");
}

TEST(Planner, ConvergedFleetChangesNothing) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 5)), Pod("f-1", true, Range(5, 10))};
  *in.leases = Held("f-0", Range(0, 5));
  for (const auto& l : Held("f-1", Range(5, 10))) in.leases->push_back(l);
  const Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.create.empty());
  EXPECT_TRUE(plan.retire.empty());
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_TRUE(plan.events.empty());
  for (const auto& a : plan.assignments) EXPECT_FALSE(a.changed) << a.pod;
  EXPECT_EQ(plan.moves, 0u);
  EXPECT_EQ(plan.shards.held, 10u);
  EXPECT_EQ(Cond(plan, "Ready").status, ConditionStatus::kTrue);
  EXPECT_EQ(Cond(plan, "Progressing").status, ConditionStatus::kFalse);
}

TEST(Planner, ScaleDownDrainsBeforeDeleting) {
  PlanInput in = Manual(2, 3, 9);
  in.pods = {Pod("f-0", true, Range(0, 3)), Pod("f-1", true, Range(3, 6)),
             Pod("f-2", true, Range(6, 9))};
  *in.leases = Held("f-0", Range(0, 3));
  for (const auto& l : Held("f-1", Range(3, 6))) in.leases->push_back(l);
  for (const auto& l : Held("f-2", Range(6, 9))) in.leases->push_back(l);
  Plan plan = MakePlan(in, {});
  ASSERT_EQ(plan.retire.size(), 1u);
  EXPECT_EQ(plan.retire[0].pod, "f-2");
  EXPECT_FALSE(plan.retire[0].stuck);
  EXPECT_TRUE(plan.remove.empty());  // it still holds three leases
  EXPECT_TRUE(For(plan, "f-2").shards.empty());
  EXPECT_EQ(plan.shards.moving, 3u);
  EXPECT_EQ(plan.moves, 3u);
  EXPECT_EQ(Cond(plan, "Progressing").reason, "Draining");

  // Next pass: f-2 is marked; it released two leases, one remains.
  in.current_replicas = 2;
  in.pods[2].retiring = true;
  in.pods[2].retiring_since = in.now;
  in.pods[0].assigned = For(plan, "f-0").shards;
  in.pods[1].assigned = For(plan, "f-1").shards;
  in.pods[2].assigned = {};
  in.leases->pop_back();
  in.leases->pop_back();
  in.now += Seconds(30);
  plan = MakePlan(in, plan.next_state);
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_EQ(plan.moves, 0u);

  // It releases the last one: deleted as drained.
  in.leases->pop_back();
  in.now += Seconds(5);
  plan = MakePlan(in, plan.next_state);
  ASSERT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0].pod, "f-2");
  EXPECT_EQ(plan.remove[0].reason, DeletionReason::kDrained);
}

TEST(Planner, DrainTimeoutForcesTheDeletionWithAWarning) {
  PlanInput in = Manual(1, 1, 4);
  PodView retiring = Pod("f-1", true);
  retiring.retiring = true;
  retiring.retiring_since = At(0);
  in.pods = {Pod("f-0", true, Range(0, 4)), retiring};
  *in.leases = Held("f-1", {3});
  in.now = At(119);
  EXPECT_TRUE(MakePlan(in, {}).remove.empty());
  in.now = At(120);
  const Plan plan = MakePlan(in, {});
  ASSERT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0].reason, DeletionReason::kDrainTimeout);
  EXPECT_EQ(plan.remove[0].leases_held, 1u);
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_TRUE(plan.events[0].warning);
  EXPECT_EQ(plan.events[0].reason, "DrainTimeout");
  EXPECT_EQ(plan.events[0].pod, "f-1");
}

TEST(Planner, NotReadyPodIsDrainedButStillCounts) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 5)), Pod("f-1", false, Range(5, 10))};
  const Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.create.empty());  // the ReplicaSet way: a not-ready pod is not replaced
  EXPECT_EQ(For(plan, "f-0").shards, Range(0, 10));
  EXPECT_TRUE(For(plan, "f-1").shards.empty());
  EXPECT_EQ(plan.moves, 5u);
}

TEST(Planner, StuckAgentIsReportedAndReplaced) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 5)), Pod("f-1", true, Range(5, 10))};
  *in.leases = Held("f-0", Range(0, 5));  // f-1 holds none of its shards
  in.now = At(0);
  Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.stuck.empty());
  in.now = At(45);  // exactly 3 lease durations
  plan = MakePlan(in, plan.next_state);
  EXPECT_TRUE(plan.stuck.empty());
  in.now = At(46);
  plan = MakePlan(in, plan.next_state);
  EXPECT_EQ(plan.stuck, (std::vector<std::string>{"f-1"}));
  ASSERT_EQ(plan.retire.size(), 1u);
  EXPECT_TRUE(plan.retire[0].stuck);
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2"}));
  ASSERT_EQ(plan.remove.size(), 1u);  // it holds nothing: no drain needed
  EXPECT_EQ(plan.remove[0].reason, DeletionReason::kDrained);
  // Its shards go to its replacement, which is created with them.
  EXPECT_EQ(For(plan, "f-0").shards, Range(0, 5));
  ASSERT_EQ(plan.create_assignments.size(), 1u);
  EXPECT_EQ(plan.create_assignments[0].shards, Range(5, 10));
  EXPECT_EQ(Cond(plan, "Degraded").reason, "AgentStuck");
  const bool event = std::any_of(plan.events.begin(), plan.events.end(), [](const PlanEvent& e) {
    return e.warning && e.reason == "AgentStuck" && e.pod == "f-1";
  });
  EXPECT_TRUE(event);
}

TEST(Planner, NewPodsNeverTakeTheNameOfAValidLeaseHolder) {
  PlanInput in = Manual(2, 1);
  in.pods = {Pod("f-0", true, Range(0, 10))};
  *in.leases = Held("f-1", {9});  // f-1 was deleted, its lease lives on
  Plan plan = MakePlan(in, {});
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2"}));
  EXPECT_EQ(plan.shards.moving, 1u);

  // The next snapshot fails: f-1 is still not reused.
  in.leases.reset();
  in.current_replicas = 1;
  plan = MakePlan(in, plan.next_state);
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2"}));
}

// A valid lease held by a holder that is no pod of the fleet (a force-deleted
// zombie, a pod whose label was removed by hand) is revoked once it has been
// a stranger's for a lease duration (the act sends the Warning); its owner is not taken
// for stuck meanwhile. Leases of the fleet's own pods are never revoked.
TEST(Planner, AStrangersLeaseIsRevokedAfterALeaseDuration) {
  PlanInput in = Manual(2, 2);
  in.pods = {Pod("f-0", true, Range(0, 5)), Pod("f-1", true, Range(5, 10))};
  *in.leases = Held("f-0", Range(0, 5));
  auto zombie = Held("zombie-7", {5, 6});
  auto rest = Held("f-1", Range(7, 10));
  in.leases->insert(in.leases->end(), zombie.begin(), zombie.end());
  in.leases->insert(in.leases->end(), rest.begin(), rest.end());
  in.now = At(0);
  Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.revoke.empty()) << "a fresh stranger may be a pod not cached yet";
  in.now = At(15);
  plan = MakePlan(in, plan.next_state);
  EXPECT_TRUE(plan.revoke.empty());
  in.now = At(16);
  plan = MakePlan(in, plan.next_state);
  ASSERT_EQ(plan.revoke.size(), 2u);
  EXPECT_EQ(plan.revoke[0].shard, 5u);
  EXPECT_EQ(plan.revoke[0].holder, "zombie-7");
  EXPECT_EQ(plan.revoke[1].shard, 6u);
  EXPECT_TRUE(plan.stuck.empty()) << "f-1 holds 7-9; 5 and 6 are a stranger's";
  EXPECT_NE(RevokedMessage("zombie-7", {5, 6}, Seconds(15))
                .find("zombie-7, which is no pod of this fleet, held shards 5, 6 for over 15s"),
            std::string::npos);
  // Once revoked and taken by its owner, nothing more.
  *in.leases = Held("f-0", Range(0, 5));
  auto now_held = Held("f-1", Range(5, 10));
  in.leases->insert(in.leases->end(), now_held.begin(), now_held.end());
  in.now = At(17);
  plan = MakePlan(in, plan.next_state);
  EXPECT_TRUE(plan.revoke.empty());
  EXPECT_TRUE(plan.next_state.stranger_since.empty());
}

TEST(Planner, WithoutALeaseSnapshotRetiringPodsWaitForTheTimeout) {
  PlanInput in = Manual(1, 1);
  PodView retiring = Pod("f-1", true);
  retiring.retiring = true;
  retiring.retiring_since = At(50);
  in.pods = {Pod("f-0", true, Range(0, 10)), retiring};
  in.leases.reset();
  in.now = At(100);
  Plan plan = MakePlan(in, {});
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_FALSE(plan.shards.leases_known);
  EXPECT_EQ(Cond(plan, "Degraded").reason, "LeasesUnavailable");
  in.now = At(170);
  plan = MakePlan(in, {});
  ASSERT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0].reason, DeletionReason::kDrainTimeout);
}

TEST(Planner, AutoscaledFleetFollowsTheQueueAndPauseFreezesIt) {
  PlanInput in = Manual(0, 2);
  in.autoscaling =
      AutoscalingPolicy{.min_replicas = 1, .max_replicas = 10, .target_queue_depth_per_agent = 100};
  in.pods = {Pod("f-0", true), Pod("f-1", true)};
  in.queue_depth = 500;
  Plan plan = MakePlan(in, {});
  EXPECT_EQ(plan.scale.desired, 5);
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2", "f-3", "f-4"}));

  in.paused = true;
  plan = MakePlan(in, plan.next_state);
  EXPECT_EQ(plan.scale.desired, 2);
  EXPECT_EQ(plan.scale.reason, ScaleReason::kPaused);
  EXPECT_TRUE(plan.create.empty());
}

TEST(Planner, FailedDepthReadsSurfaceInDegraded) {
  PlanInput in = Manual(0, 2);
  in.autoscaling = AutoscalingPolicy{.min_replicas = 1, .max_replicas = 10};
  in.pods = {Pod("f-0", true), Pod("f-1", true)};
  const Plan plan = MakePlan(in, {});
  EXPECT_EQ(plan.scale.desired, 2);
  EXPECT_EQ(plan.scale.reason, ScaleReason::kSourceError);
  EXPECT_EQ(Cond(plan, "Degraded").reason, "QueueDepthUnavailable");
}

}  // namespace
}  // namespace agentfleet::fleet::planner
