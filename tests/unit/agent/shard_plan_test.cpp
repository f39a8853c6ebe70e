#include "examples/agent/shard_plan.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

using V = std::vector<uint32_t>;
HeldShard Active(int in_flight = 0) {
  return {ShardPhase::kActive, in_flight};
}
HeldShard Draining(int in_flight = 0) {
  return {ShardPhase::kDraining, in_flight};
}

TEST(PlanShards, NothingHeldAcquiresEverything) {
  EXPECT_EQ(PlanShards({1, 2, 5}, {}), (ShardPlan{V{1, 2, 5}, {}, {}, {}}));
}

TEST(PlanShards, ConvergedIsANoOp) {
  EXPECT_EQ(PlanShards({1, 2}, {{1, Active()}, {2, Active(1)}}), ShardPlan{});
}

TEST(PlanShards, RemovedIdleShardsDrainAndReleaseAtOnce) {
  auto plan = PlanShards({2}, {{1, Active()}, {2, Active()}, {3, Active(1)}});
  EXPECT_EQ(plan.start_drain, (V{1, 3}));
  EXPECT_EQ(plan.release, (V{1}));  // 3 has a batch in flight: released later
  EXPECT_TRUE(plan.acquire.empty());
}

TEST(PlanShards, DrainingShardReleasedWhenIdle) {
  EXPECT_EQ(PlanShards({}, {{4, Draining(1)}}), ShardPlan{});
  EXPECT_EQ(PlanShards({}, {{4, Draining(0)}}), (ShardPlan{{}, {}, {}, V{4}}));
}

TEST(PlanShards, ReassignedWhileDrainingIsKept) {
  EXPECT_EQ(PlanShards({4, 6}, {{4, Draining(1)}}), (ShardPlan{V{6}, {}, V{4}, {}}));
}

TEST(PlanShards, MixedMove) {
  auto plan = PlanShards({0, 1, 7}, {{1, Active()}, {2, Active()}, {3, Draining()}});
  EXPECT_EQ(plan, (ShardPlan{V{0, 7}, V{2}, {}, V{2, 3}}));
}

}  // namespace
}  // namespace agentfleet::agent
