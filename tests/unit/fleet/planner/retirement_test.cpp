#include "controller/fleet/planner/retirement.h"

#include <gtest/gtest.h>

#include "controller/fleet/planner/assigner.h"

namespace agentfleet::fleet::planner {
namespace {

Time At(int seconds) {
  return Time{} + Seconds(1'800'000'000 + seconds);
}

TEST(RetirementVerdict, DeletedOnlyWhenDrainedOrTimedOut) {
  const Seconds drain(120);
  EXPECT_EQ(RetirementVerdict(At(0), 0, true, drain, At(1)), DeletionReason::kDrained);
  EXPECT_EQ(RetirementVerdict(At(0), 1, true, drain, At(0)), std::nullopt);
  EXPECT_EQ(RetirementVerdict(At(0), 2, true, drain, At(119)), std::nullopt);
  EXPECT_EQ(RetirementVerdict(At(0), 2, true, drain, At(120)), DeletionReason::kDrainTimeout);
  // No lease snapshot: a pod that may hold leases waits for the timeout.
  EXPECT_EQ(RetirementVerdict(At(0), 0, false, drain, At(119)), std::nullopt);
  EXPECT_EQ(RetirementVerdict(At(0), 0, false, drain, At(120)), DeletionReason::kDrainTimeout);
}

struct StuckFixture {
  std::vector<PodView> pods;
  std::vector<int32_t> holder = std::vector<int32_t>(4, kNoHolder);
  std::map<std::string, Time> since;

  std::vector<const PodView*> views;

  StuckResult Run(int t) {
    views.clear();
    for (const auto& p : pods) views.push_back(&p);
    StuckResult r = FindStuckAgents({.pods = views,
                                     .shards = 4,
                                     .holder = holder,
                                     .lease_duration = Seconds(10),
                                     .now = At(t),
                                     .unheld_since = &since});
    since = r.unheld_since;
    return r;
  }
};

TEST(StuckAgents, ReadyPodHoldingNoneOfItsShardsForThreeLeaseDurations) {
  StuckFixture f;
  f.pods.push_back({.name = "f-0", .ready = true, .assigned = {0, 1}});
  EXPECT_FALSE(f.Run(0).stuck[0]);
  EXPECT_FALSE(f.Run(30).stuck[0]);  // exactly 3 durations: not yet
  EXPECT_TRUE(f.Run(31).stuck[0]);
}

TEST(StuckAgents, HoldingAnyAssignedShardResetsTheClock) {
  StuckFixture f;
  f.pods.push_back({.name = "f-0", .ready = true, .assigned = {0, 1}});
  f.Run(0);
  f.holder[1] = 0;
  EXPECT_FALSE(f.Run(20).stuck[0]);
  EXPECT_TRUE(f.since.empty());
  f.holder[1] = kNoHolder;
  EXPECT_FALSE(f.Run(40).stuck[0]);
  EXPECT_TRUE(f.Run(71).stuck[0]);
}

TEST(StuckAgents, NotReadyRetiringOrUnassignedPodsAreNotStuck) {
  StuckFixture f;
  f.pods.push_back({.name = "f-0", .ready = false, .assigned = {0}});
  f.pods.push_back({.name = "f-1", .ready = true, .retiring = true, .assigned = {1}});
  f.pods.push_back({.name = "f-2", .ready = true, .assigned = {}});
  f.pods.push_back({.name = "f-3", .ready = true, .assigned = {9}});  // out of range only
  f.Run(0);
  const StuckResult r = f.Run(1000);
  for (uint8_t s : r.stuck) EXPECT_FALSE(s);
  EXPECT_TRUE(r.unheld_since.empty());
}

TEST(StuckAgents, NothingIsJudgedWithoutALeaseSnapshot) {
  StuckFixture f;
  f.pods.push_back({.name = "f-0", .ready = true, .assigned = {0}});
  f.holder.clear();
  f.Run(0);
  EXPECT_FALSE(f.Run(1000).stuck[0]);
}

}  // namespace
}  // namespace agentfleet::fleet::planner
