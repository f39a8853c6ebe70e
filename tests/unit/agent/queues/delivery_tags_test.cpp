#include "examples/agent/queues/delivery_tags.h"

#include <gtest/gtest.h>

namespace agentfleet::agent::queues {
namespace {

TEST(DeliveryTagsTest, FirstConnectionReceiptsAreTheTags) {
  DeliveryTags tags;
  tags.NewConnection();
  EXPECT_EQ(tags.Issue(1), "1");
  EXPECT_EQ(tags.Issue(2), "2");
  EXPECT_EQ(tags.in_work(), 2u);
  auto t = tags.Resolve("2");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 2u);
  tags.Settle(2);
  EXPECT_EQ(tags.in_work(), 1u);
  auto again = tags.Resolve("2");
  ASSERT_FALSE(again.ok()) << "settled twice";
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST(DeliveryTagsTest, ReceiptsOfAClosedConnectionNeverResolveToANewTag) {
  DeliveryTags tags;
  tags.NewConnection();
  const std::string old1 = tags.Issue(1), old2 = tags.Issue(2), old3 = tags.Issue(3);
  tags.Settle(2);
  tags.NewConnection();
  // The new channel numbers from 1 again; the same message may well come back
  // under the same tag.
  const std::string new1 = tags.Issue(1);
  EXPECT_NE(new1, old1);
  EXPECT_EQ(new1, "4");
  for (const auto& r : {old1, old2, old3}) {
    auto t = tags.Resolve(r);
    ASSERT_FALSE(t.ok()) << r;
    EXPECT_EQ(t.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(t.error().message.find("earlier connection"), std::string::npos);
  }
  auto t = tags.Resolve(new1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1u);
}

TEST(DeliveryTagsTest, AConnectionWithoutDeliveriesKeepsTheBase) {
  DeliveryTags tags;
  tags.NewConnection();
  tags.Issue(5);
  tags.NewConnection();
  tags.NewConnection();
  EXPECT_EQ(tags.Issue(1), "6");
}

TEST(DeliveryTagsTest, ForeignReceiptsAreRefused) {
  DeliveryTags tags;
  tags.NewConnection();
  tags.Issue(1);
  for (const char* r : {"", "0", "x", "1x", "-1", "99999999999999999999999"}) {
    auto t = tags.Resolve(r);
    ASSERT_FALSE(t.ok()) << r;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument) << r;
  }
  auto unknown = tags.Resolve("7");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace agentfleet::agent::queues
