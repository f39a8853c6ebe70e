#include "examples/agent/shard_table.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

using namespace std::chrono_literals;
const SteadyTime t0{};

TEST(ShardTable, BatchesOnlyOnActiveValidLeasesOfTheSameToken) {
  ShardTable t;
  t.Add(1, 10, t0 + 5s);
  EXPECT_TRUE(t.BeginBatch(1, 10, t0));
  EXPECT_FALSE(t.BeginBatch(1, 9, t0));        // another token
  EXPECT_FALSE(t.BeginBatch(1, 10, t0 + 5s));  // no longer trusted
  EXPECT_FALSE(t.BeginBatch(2, 10, t0));
  t.SetPhase(1, ShardPhase::kDraining);
  EXPECT_FALSE(t.BeginBatch(1, 10, t0));
  EXPECT_EQ(t.View().at(1).in_flight, 1);
  // Draining with a batch in flight: not released yet.
  EXPECT_TRUE(t.TakeIdleDraining({1}).empty());
  t.EndBatch(1, 10);
  auto taken = t.TakeIdleDraining({1});
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].token, 10);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ShardTable, LostAndExpired) {
  ShardTable t;
  t.Add(1, 10, t0 + 5s);
  t.Add(2, 20, t0 + 1s);
  EXPECT_FALSE(t.MarkLost(1, 11));  // a stale report does not drop a newer lease
  EXPECT_TRUE(t.MarkLost(1, 10));
  EXPECT_FALSE(t.StillValid(1, 10, t0));
  t.Extend(2, 20, t0 + 3s);
  EXPECT_TRUE(t.RemoveExpired(t0 + 2s).empty());
  EXPECT_EQ(t.Active(t0 + 2s).size(), 1u);
  auto gone = t.RemoveExpired(t0 + 3s);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].shard, 2u);
}

}  // namespace
}  // namespace agentfleet::agent
