#include "examples/agent/message_plan.h"

#include <gtest/gtest.h>

#include "controller/sources/protocol/shard.h"
#include "examples/agent/task_message.h"

namespace agentfleet::agent {
namespace {

constexpr uint32_t kShards = 4;

std::string ProductOf(uint32_t shard, int nth = 0) {
  for (int i = 0;; ++i) {
    std::string p = "p" + std::to_string(i);
    if (sources::protocol::ShardOf(p, kShards) == shard && nth-- == 0) return p;
  }
}

queues::Delivery Msg(const std::string& product, int64_t price, int64_t version) {
  std::string body = FormatTaskMessage({"t-" + product, product, price}, {version, 0});
  return {body, "r-" + std::to_string(version), std::nullopt};
}

TEST(PlanMessages, SortsABatchIntoHeldShardsElsewhereAndInvalid) {
  const std::vector<queues::Delivery> batch = {Msg(ProductOf(1), 100, 1),
                                               Msg(ProductOf(2), 200, 2),
                                               {"garbage", "r-x", std::nullopt},
                                               Msg(ProductOf(1, 1), 300, 3),
                                               Msg(ProductOf(3), 400, 4)};
  auto plan = PlanMessages(batch, {{1, 7}, {3, 9}}, kShards);
  ASSERT_EQ(plan.work.size(), 2u);
  EXPECT_EQ(plan.work[0].shard.shard, 1u);
  EXPECT_EQ(plan.work[0].shard.token, 7);
  EXPECT_EQ(plan.work[0].deliveries, (std::vector<size_t>{0, 3}));
  ASSERT_EQ(plan.work[0].prices.size(), 2u);
  EXPECT_EQ(plan.work[0].prices[1].price, Reprice(300));
  EXPECT_EQ(plan.work[1].shard.shard, 3u);
  EXPECT_EQ(plan.work[1].deliveries, (std::vector<size_t>{4}));
  EXPECT_EQ(plan.elsewhere, (std::vector<size_t>{1}));
  ASSERT_EQ(plan.invalid.size(), 1u);
  EXPECT_EQ(plan.invalid[0].entry, 2u);
  EXPECT_NE(plan.invalid[0].reason.find("not JSON"), std::string::npos);
}

TEST(PlanMessages, AProductGetsItsNewestTasksPriceWhateverTheOrder) {
  const std::string p = ProductOf(0);
  auto plan = PlanMessages({Msg(p, 100, 5), Msg(p, 200, 9), Msg(p, 300, 7)}, {{0, 1}}, kShards);
  ASSERT_EQ(plan.work.size(), 1u);
  EXPECT_EQ(plan.work[0].deliveries.size(), 3u);  // all three settle with the write
  ASSERT_EQ(plan.work[0].prices.size(), 1u);
  EXPECT_EQ(plan.work[0].prices[0].price, Reprice(200));
  EXPECT_EQ(plan.work[0].prices[0].version, (results::TaskVersion{9, 0}));
}

TEST(PlanMessages, TheBackendsEnqueueTimeWinsOverTheMessages) {
  const auto backend = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
  queues::Delivery a{R"({"task":"a","product":")" + ProductOf(0) + R"(","price":1,"enqueued":5})",
                     "r", backend};
  queues::Delivery b{
      R"({"task":"b","product":")" + ProductOf(0, 1) + R"(","price":1,"enqueued":5000})", "r",
      std::nullopt};
  queues::Delivery c = Msg(ProductOf(0, 2), 1, 1);
  auto plan = PlanMessages({a, b, c}, {{0, 1}}, kShards);
  ASSERT_EQ(plan.work.size(), 1u);
  ASSERT_EQ(plan.work[0].enqueued.size(), 3u);
  EXPECT_EQ(plan.work[0].enqueued[0], backend);
  EXPECT_EQ(plan.work[0].enqueued[1],
            std::chrono::system_clock::time_point(std::chrono::milliseconds(5000)));
  EXPECT_FALSE(plan.work[0].enqueued[2]);
}

TEST(PlanMessages, NothingHeldSendsEveryTaskElsewhere) {
  auto plan = PlanMessages({Msg(ProductOf(0), 1, 1), Msg(ProductOf(1), 1, 2)}, {}, kShards);
  EXPECT_TRUE(plan.work.empty());
  EXPECT_EQ(plan.elsewhere.size(), 2u);
}

}  // namespace
}  // namespace agentfleet::agent
