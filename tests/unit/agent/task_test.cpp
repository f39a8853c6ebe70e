#include "examples/agent/task.h"

#include <gtest/gtest.h>

#include "controller/sources/protocol/shard.h"

namespace agentfleet::agent {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(Reprice, SevenPercentHalfUpToTheCent) {
  EXPECT_EQ(Reprice(0), 0);
  EXPECT_EQ(Reprice(100), 107);
  EXPECT_EQ(Reprice(1), 1);        // 1.07 → 1
  EXPECT_EQ(Reprice(7), 7);        // 7.49 → 7
  EXPECT_EQ(Reprice(50), 54);      // 53.5 → 54 (half up)
  EXPECT_EQ(Reprice(1999), 2139);  // 2138.93
  EXPECT_EQ(Reprice(kMaxPrice), kMaxPrice / 100 * 107);
}

TEST(ParseTask, Fields) {
  auto t = ParseTask(Fields{{"task", "t-1"}, {"product", "sku-1"}, {"price", "1999"}, {"x", "y"}});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "t-1");
  EXPECT_EQ(t->product, "sku-1");
  EXPECT_EQ(t->base_price, 1999);
  EXPECT_TRUE(ParseTask(Fields{{"task", "t"}, {"product", "p"}, {"price", "0"}}).ok());
}

TEST(ParseTask, RejectsMissingAndBadFields) {
  for (const auto& f : std::vector<Fields>{
           {{"product", "p"}, {"price", "1"}},
           {{"task", "t"}, {"price", "1"}},
           {{"task", "t"}, {"product", "p"}},
           {{"task", "t"}, {"product", "p"}, {"price", "-1"}},
           {{"task", "t"}, {"product", "p"}, {"price", "1.5"}},
           {{"task", "t"}, {"product", "p"}, {"price", "012"}},
           {{"task", "t"}, {"product", "p"}, {"price", ""}},
           {{"task", "t"}, {"product", "p"}, {"price", "10000000000001"}},
       }) {
    auto t = ParseTask(f);
    EXPECT_FALSE(t.ok());
    if (!t.ok()) {
      EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(CheckShard, UsesTheProtocolFunction) {
  // docs/protocol.md: "sku-1" is shard 12 of 64, "sku-42" shard 51.
  Task t{"t", "sku-1", 100};
  EXPECT_TRUE(CheckShard(t, 12, 64).ok());
  auto wrong = CheckShard(t, 13, 64);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("belongs to shard 12"), std::string::npos);
  EXPECT_TRUE(CheckShard({"t", "sku-42", 1}, 51, 64).ok());
}

}  // namespace
}  // namespace agentfleet::agent
