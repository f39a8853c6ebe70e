#include "controller/fleet/planner/pod_names.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::planner {
namespace {

TEST(PodNames, IndexOfNamesInTheScheme) {
  EXPECT_EQ(PodIndex("prices", "prices-0"), 0u);
  EXPECT_EQ(PodIndex("prices", "prices-17"), 17u);
  EXPECT_EQ(PodIndex("prices", "prices-eu-3"), std::nullopt);
  EXPECT_EQ(PodIndex("prices", "prices-"), std::nullopt);
  EXPECT_EQ(PodIndex("prices", "prices-07"), std::nullopt);
  EXPECT_EQ(PodIndex("prices", "prices-3x"), std::nullopt);
  EXPECT_EQ(PodIndex("prices", "other-3"), std::nullopt);
  EXPECT_EQ(PodName("prices", 12), "prices-12");
}

TEST(PodNames, LowestFreeIndexesAvoidingTakenNames) {
  const std::unordered_set<std::string_view> taken = {"f-0", "f-2", "f-3", "g-1"};
  EXPECT_EQ(NewPodNames("f", 3, taken), (std::vector<std::string>{"f-1", "f-4", "f-5"}));
  EXPECT_TRUE(NewPodNames("f", 0, taken).empty());
}

}  // namespace
}  // namespace agentfleet::fleet::planner
