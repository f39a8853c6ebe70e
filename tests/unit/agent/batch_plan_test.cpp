#include "examples/agent/batch_plan.h"

#include <gtest/gtest.h>

#include "controller/sources/protocol/shard.h"
#include "examples/agent/task.h"

namespace agentfleet::agent {
namespace {

constexpr uint32_t kShards = 4;

StreamEntry Entry(std::string id, const std::string& product, int64_t price) {
  return StreamEntry{
      std::move(id),
      {{"task", "t-" + product}, {"product", product}, {"price", std::to_string(price)}}};
}

// Products "p<i>" of shard 0, so that every entry below is routed right.
std::vector<std::string> ProductsOfShardZero(size_t n) {
  std::vector<std::string> out;
  for (int i = 0; out.size() < n; ++i) {
    std::string p = "p" + std::to_string(i);
    if (sources::protocol::ShardOf(p, kShards) == 0) out.push_back(p);
  }
  return out;
}

TEST(PlanBatch, EachProductGetsItsNewestTasksPriceWhateverTheOrder) {
  const auto p = ProductsOfShardZero(2);
  // XAUTOCLAIM and XREADGROUP deliver in ID order, but a batch does not rely on it.
  auto plan = PlanBatch({Entry("5-0", p[0], 100), Entry("3-0", p[0], 200), Entry("4-9", p[1], 300),
                         Entry("5-1", p[0], 400), Entry("4-10", p[1], 500)},
                        0, kShards);
  EXPECT_TRUE(plan.invalid.empty());
  ASSERT_EQ(plan.prices.size(), 2u);
  EXPECT_EQ(plan.prices[0].product, p[0]);
  EXPECT_EQ(plan.prices[0].price, Reprice(400));
  EXPECT_EQ(plan.prices[0].version, (results::TaskVersion{5, 1}));
  EXPECT_EQ(plan.prices[1].product, p[1]);
  EXPECT_EQ(plan.prices[1].price, Reprice(500));
  EXPECT_EQ(plan.prices[1].version, (results::TaskVersion{4, 10}));
}

TEST(PlanBatch, MalformedMisroutedAndUnversionedEntriesAreInvalid) {
  const auto p = ProductsOfShardZero(1);
  std::string other = "q";
  while (sources::protocol::ShardOf(other, kShards) == 0) other += "q";
  auto plan = PlanBatch({Entry("1-0", p[0], -1), Entry("1-1", other, 5),
                         Entry("18446744073709551615-0", p[0], 7), Entry("2-0", p[0], 9)},
                        0, kShards);
  ASSERT_EQ(plan.invalid.size(), 3u);
  EXPECT_EQ(plan.invalid[0].entry, 0u);
  EXPECT_NE(plan.invalid[0].reason.find("price"), std::string::npos);
  EXPECT_EQ(plan.invalid[1].entry, 1u);
  EXPECT_NE(plan.invalid[1].reason.find("belongs to shard"), std::string::npos);
  EXPECT_EQ(plan.invalid[2].entry, 2u);
  EXPECT_NE(plan.invalid[2].reason.find("18446744073709551615-0"), std::string::npos)
      << plan.invalid[2].reason;
  ASSERT_EQ(plan.prices.size(), 1u);
  EXPECT_EQ(plan.prices[0].price, Reprice(9));
}

}  // namespace
}  // namespace agentfleet::agent
