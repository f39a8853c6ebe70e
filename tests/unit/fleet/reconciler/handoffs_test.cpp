#include "controller/fleet/reconciler/handoffs.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using std::chrono::seconds;

Clock::Monotonic At(int s) {
  return Clock::Monotonic(seconds(s));
}

sources::lease::LeaseSnapshot Held(std::vector<std::pair<uint32_t, std::string>> holders) {
  sources::lease::LeaseSnapshot s{1000, {}};
  for (auto& [shard, holder] : holders) s.records.push_back({shard, holder, 1, 5000});
  return s;
}

TEST(HandoffsTest, EndsWhenTheNewOwnersAgentHoldsTheLease) {
  Handoffs h;
  h.Started("f-1", {4, 5}, At(10));
  auto always = [](const std::string&) { return true; };
  EXPECT_TRUE(h.Settle(Held({{4, "f-0/a"}, {5, "f-0/a"}}), always, At(11)).empty());
  auto done = h.Settle(Held({{4, "f-1/b"}}), always, At(13));
  EXPECT_EQ(done, (std::vector<double>{3.0}));
  EXPECT_EQ(h.size(), 1u);
}

TEST(HandoffsTest, ARepeatedAssignmentKeepsItsStartAnotherOwnerRestartsIt) {
  Handoffs h;
  h.Started("f-1", {4}, At(10));
  h.Started("f-1", {4}, At(20));
  auto always = [](const std::string&) { return true; };
  EXPECT_EQ(h.Settle(Held({{4, "f-1/a"}}), always, At(25)), (std::vector<double>{15.0}));
  h.Started("f-1", {4}, At(30));
  h.Started("f-2", {4}, At(40));
  EXPECT_EQ(h.Settle(Held({{4, "f-2/a"}}), always, At(41)), (std::vector<double>{1.0}));
}

TEST(HandoffsTest, AGoneOwnerEndsItsHandOffsUnmeasured) {
  Handoffs h;
  h.Started("f-1", {4}, At(10));
  EXPECT_TRUE(h.Settle(
                   Held({}), [](const std::string&) { return false; }, At(11))
                  .empty());
  EXPECT_EQ(h.size(), 0u);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
