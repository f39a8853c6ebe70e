#include "controller/fleet/planner/lending.h"

#include <gtest/gtest.h>

#include <deque>

namespace agentfleet::fleet::planner {
namespace {

// Pods as the planner hands them over; `view` points into the deques.
struct Pods {
  std::deque<std::string> names;
  std::deque<std::vector<uint32_t>> annotated;
  std::vector<LendingPod> view;
  void Add(std::string name, std::vector<uint32_t> shards, Claimant c) {
    names.push_back(std::move(name));
    annotated.push_back(std::move(shards));
    view.push_back({&names.back(), &annotated.back(), c});
  }
};

TEST(Lending, AStartingPodsClaimWinsOverTheReadyOwners) {
  Pods p;
  p.Add("f-0", {0, 1, 2, 3}, Claimant::kReady);
  p.Add("f-1", {2, 3}, Claimant::kStarting);
  auto claims = ClaimsForAssigner(4, p.view, {});
  EXPECT_EQ(claims[0], (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(claims[1], (std::vector<uint32_t>{2, 3}));
}

TEST(Lending, ALoanOutlivesTheBorrowersStart) {
  Pods p;
  p.Add("f-0", {0, 1, 2, 3}, Claimant::kReady);
  p.Add("f-1", {2, 3}, Claimant::kReady);  // Ready now; f-0 not patched yet
  auto claims = ClaimsForAssigner(4, p.view, {{2, "f-1"}, {3, "f-1"}});
  EXPECT_EQ(claims[0], (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(claims[1], (std::vector<uint32_t>{2, 3}));
  // Without the loans (an operator restart), both claims go to the assigner.
  claims = ClaimsForAssigner(4, p.view, {});
  EXPECT_EQ(claims[0], (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST(Lending, TheReadyOwnerKeepsWhatTheStartingPodWasGiven) {
  Pods p;
  p.Add("f-0", {0, 1, 2, 3}, Claimant::kReady);
  const std::string created = "f-1";
  const std::vector<const std::string*> creating = {&created};
  std::vector<std::vector<uint32_t>> assigned = {{0, 1}, {2, 3}};
  const std::vector<std::vector<uint32_t>> claims = {{0, 1, 2, 3}};
  auto loans = Lend(4, p.view, creating, {}, claims, assigned);
  EXPECT_EQ(assigned[0], (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(assigned[1], (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(loans, (std::map<uint32_t, std::string>{{2, "f-1"}, {3, "f-1"}}));
}

TEST(Lending, NothingIsLentToAReadyPodOrByAStartingOne) {
  Pods p;
  p.Add("f-0", {0, 1, 2, 3}, Claimant::kReady);
  p.Add("f-1", {}, Claimant::kReady);
  p.Add("f-2", {0}, Claimant::kStarting);
  std::vector<std::vector<uint32_t>> assigned = {{0, 1}, {2, 3}, {}};
  const std::vector<std::vector<uint32_t>> claims = {{1, 2, 3}, {}, {0}};
  auto loans = Lend(4, p.view, {}, {}, claims, assigned);
  EXPECT_EQ(assigned[0], (std::vector<uint32_t>{0, 1}));  // 2 and 3 went to a Ready pod
  EXPECT_TRUE(loans.empty());
}

TEST(Lending, AnOldLoanIsRememberedWhileTheLenderStillHasIt) {
  Pods p;
  p.Add("f-0", {0, 1, 2, 3}, Claimant::kReady);
  p.Add("f-1", {2, 3}, Claimant::kReady);
  std::vector<std::vector<uint32_t>> assigned = {{0, 1}, {2, 3}};
  const std::vector<std::vector<uint32_t>> claims = {{0, 1}, {2, 3}};
  auto loans = Lend(4, p.view, {}, {{2, "f-1"}, {3, "f-1"}}, claims, assigned);
  EXPECT_EQ(assigned[0], (std::vector<uint32_t>{0, 1}));  // no longer lent: let go
  EXPECT_EQ(loans.size(), 2u);                            // until its patch shows
}

}  // namespace
}  // namespace agentfleet::fleet::planner
