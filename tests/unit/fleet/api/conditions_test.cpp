#include "controller/fleet/api/conditions.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::api {
namespace {

using namespace std::chrono_literals;

Condition Make(std::string type, ConditionStatus status, std::string reason) {
  Condition c;
  c.type = std::move(type);
  c.status = status;
  c.reason = std::move(reason);
  return c;
}

// A pass that sets a condition False (the plan) and then True again (an
// override) ends where it began: no transition, the stored time kept.
TEST(Conditions, KeepTransitionTimesUndoesAFlipWithinOnePass) {
  const Clock::Wall t0{}, t1 = t0 + 10s;
  std::vector<Condition> before;
  SetCondition(before, Make("Degraded", ConditionStatus::kTrue, "FailedCreate"), t0);
  SetCondition(before, Make("Ready", ConditionStatus::kFalse, "PodsNotReady"), t0);
  std::vector<Condition> next = before;
  SetCondition(next, Make("Degraded", ConditionStatus::kFalse, "AsExpected"), t1);
  SetCondition(next, Make("Degraded", ConditionStatus::kTrue, "FailedCreate"), t1);
  SetCondition(next, Make("Ready", ConditionStatus::kTrue, "AllShardsHeld"), t1);
  SetCondition(next, Make("Progressing", ConditionStatus::kTrue, "CreatingPods"), t1);
  KeepTransitionTimes(before, next);
  EXPECT_EQ(FindCondition(next, "Degraded")->last_transition_time, t0);
  EXPECT_EQ(FindCondition(next, "Ready")->last_transition_time, t1) << "a real transition";
  EXPECT_EQ(FindCondition(next, "Progressing")->last_transition_time, t1) << "a new condition";
  EXPECT_EQ(next.size(), 3u);
}

}  // namespace
}  // namespace agentfleet::fleet::api
