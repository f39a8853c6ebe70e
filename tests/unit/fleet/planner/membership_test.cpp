#include "controller/fleet/planner/membership.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::planner {
namespace {

Time At(int seconds) {
  return Time{} + Seconds(1'800'000'000 + seconds);
}

struct Fixture {
  std::vector<PodView> pods;
  std::vector<uint64_t> held;
  std::vector<uint8_t> stuck;
  std::unordered_set<std::string_view> taken;

  void Add(std::string name, bool ready, uint64_t leases, int created, bool retiring = false) {
    pods.push_back(
        {.name = std::move(name), .ready = ready, .retiring = retiring, .created_at = At(created)});
    held.push_back(leases);
    stuck.push_back(0);
  }
  std::vector<const PodView*> views;

  MembershipPlan Plan(int32_t desired) {
    taken.clear();
    views.clear();
    for (const auto& p : pods) {
      taken.insert(p.name);
      views.push_back(&p);
    }
    return PlanMembership({.fleet = "f",
                           .desired = desired,
                           .pods = views,
                           .leases_held = held,
                           .stuck = stuck,
                           .taken = &taken});
  }
};

TEST(Membership, CreatesLowestFreeNamesNeverReusingAPresentOne) {
  Fixture f;
  f.Add("f-0", true, 3, 0);
  f.Add("f-1", true, 3, 0, /*retiring=*/true);  // still present: its name is taken
  f.Add("f-3", true, 3, 0);
  const MembershipPlan plan = f.Plan(4);
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2", "f-4"}));
  EXPECT_TRUE(plan.retire.empty());
}

TEST(Membership, RetiresNotReadyThenFewestHeldThenNewest) {
  Fixture f;
  f.Add("f-0", true, 5, 0);
  f.Add("f-1", true, 2, 10);
  f.Add("f-2", true, 2, 20);  // newer than f-1, same held
  f.Add("f-3", false, 9, 0);  // not ready goes first
  f.Add("f-4", true, 1, 0);   // fewest held among ready
  EXPECT_EQ(f.Plan(4).retire, (std::vector<size_t>{3}));
  EXPECT_EQ(f.Plan(3).retire, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(f.Plan(2).retire, (std::vector<size_t>{3, 4, 2}));
  EXPECT_EQ(f.Plan(1).retire, (std::vector<size_t>{3, 4, 2, 1}));
  EXPECT_EQ(f.Plan(0).retire.size(), 5u);
}

TEST(Membership, TiesGoToTheHighestIndex) {
  Fixture f;
  for (int i = 0; i < 12; ++i) f.Add("f-" + std::to_string(i), true, 1, 0);
  EXPECT_EQ(f.Plan(10).retire, (std::vector<size_t>{11, 10}));
}

TEST(Membership, RetiringPodsDoNotCount) {
  Fixture f;
  f.Add("f-0", true, 0, 0);
  f.Add("f-1", true, 0, 0, true);
  const MembershipPlan plan = f.Plan(2);
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2"}));
}

TEST(Membership, StuckPodsAreRetiredAndReplaced) {
  Fixture f;
  f.Add("f-0", true, 0, 0);
  f.Add("f-1", true, 0, 0);
  f.stuck[0] = 1;
  const MembershipPlan plan = f.Plan(2);
  EXPECT_EQ(plan.retire, (std::vector<size_t>{0}));
  EXPECT_EQ(plan.create, (std::vector<std::string>{"f-2"}));
}

}  // namespace
}  // namespace agentfleet::fleet::planner
