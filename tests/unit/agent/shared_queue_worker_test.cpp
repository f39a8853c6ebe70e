// The shared-queue worker against a scripted queue and an in-memory fenced
// store; the same paths run on real Redis, ElasticMQ and RabbitMQ in
// tests/integration/agent/queues.

#include "examples/agent/shared_queue_worker.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "controller/sources/protocol/shard.h"
#include "examples/agent/task_message.h"

namespace agentfleet::agent {
namespace {

using namespace std::chrono_literals;
constexpr uint32_t kShards = 4;

std::string ProductOf(uint32_t shard, int nth = 0) {
  for (int i = 0;; ++i) {
    std::string p = "p" + std::to_string(i);
    if (sources::protocol::ShardOf(p, kShards) == shard && nth-- == 0) return p;
  }
}

queues::Delivery Msg(const std::string& product, int64_t price, const std::string& receipt) {
  return {FormatTaskMessage({"t-" + receipt, product, price}, {1, 0}), receipt, std::nullopt};
}

struct FakeQueue : queues::TaskQueue {
  std::deque<std::vector<queues::Delivery>> batches;
  int receives = 0;
  std::vector<std::string> done, returned;
  std::vector<std::pair<std::string, std::string>> dead;  // receipt, reason
  std::vector<std::vector<std::string>> keep_alives;      // receipts in work per call

  Result<std::vector<queues::Delivery>> Receive(int, std::chrono::milliseconds) override {
    ++receives;
    if (batches.empty()) return std::vector<queues::Delivery>{};
    auto b = std::move(batches.front());
    batches.pop_front();
    return b;
  }
  Status Done(std::span<const queues::Delivery> d) override {
    for (const auto& x : d) done.push_back(x.receipt);
    return Ok{};
  }
  Status Return(std::span<const queues::Delivery> d) override {
    for (const auto& x : d) returned.push_back(x.receipt);
    return Ok{};
  }
  Status DeadLetter(const queues::Delivery& d, std::string_view reason) override {
    dead.emplace_back(d.receipt, std::string(reason));
    return Ok{};
  }
  Status KeepAlive(std::span<const queues::Delivery> in_work) override {
    std::vector<std::string> r;
    for (const auto& x : in_work) r.push_back(x.receipt);
    keep_alives.push_back(std::move(r));
    return Ok{};
  }
  std::chrono::milliseconds KeepAlivePeriod() const override { return 20ms; }
  std::string Describe() const override { return "fake queue"; }
};

// The fencing rule of result_store.h, per shard; `fail` makes writes fail.
struct FakeStore : results::ResultStore {
  std::map<uint32_t, int64_t> marks;
  std::map<std::string, int64_t> prices;
  bool fail = false;

  Result<results::WriteOutcome> Write(std::string_view, uint32_t shard, int64_t token,
                                      const std::vector<results::PriceWrite>& w) override {
    if (fail) return MakeError(ErrorCode::kUnavailable, "store down");
    if (token < marks[shard]) return MakeError(ErrorCode::kFailedPrecondition, "fenced off");
    marks[shard] = token;
    for (const auto& p : w) prices[p.product] = p.price;
    return results::WriteOutcome{};
  }
  Result<std::optional<results::StoredPrice>> Get(std::string_view, std::string_view) override {
    return std::optional<results::StoredPrice>();
  }
  Status RaiseFence(std::string_view, uint32_t shard, int64_t token) override {
    marks[shard] = std::max(marks[shard], token);
    return Ok{};
  }
  Result<int64_t> HighWater(std::string_view, uint32_t shard) override { return marks[shard]; }
  Status DeleteFleet(std::string_view) override { return Ok{}; }
};

class SharedQueueWorkerTest : public ::testing::Test {
 protected:
  void Make(std::chrono::milliseconds task_time = 0ms) {
    auto q = std::make_unique<FakeQueue>();
    auto s = std::make_unique<FakeStore>();
    queue_ = q.get();
    store_ = s.get();
    worker_ = std::make_unique<SharedQueueWorker>(SharedWorkerConfig{.fleet = "f",
                                                                     .shard_count = kShards,
                                                                     .batch_size = 10,
                                                                     .wait = 1ms,
                                                                     .task_time = task_time},
                                                  std::move(q), std::move(s), table_, metrics_,
                                                  obs::Logger({.level = obs::Level::kError}));
  }
  void Hold(uint32_t shard, int64_t token) {
    table_.Add(shard, token, std::chrono::steady_clock::now() + 1h);
  }
  double Returned(const char* reason) {
    if (std::string_view(reason) == "not_held") return metrics_.tasks_returned_elsewhere.Value();
    if (std::string_view(reason) == "fenced") return metrics_.tasks_returned_fenced.Value();
    return metrics_.tasks_returned_write_error.Value();
  }

  obs::Registry registry_;
  AgentMetrics metrics_{registry_};
  ShardTable table_;
  FakeQueue* queue_ = nullptr;
  FakeStore* store_ = nullptr;
  std::unique_ptr<SharedQueueWorker> worker_;
};

TEST_F(SharedQueueWorkerTest, PricesHeldShardsReturnsTheOthersAndDeadLettersNonTasks) {
  Make();
  Hold(1, 5);
  queue_->batches.push_back({Msg(ProductOf(1), 100, "a"),
                             Msg(ProductOf(2), 200, "b"),
                             {"{\"task\":\"x\"}", "c", std::nullopt},
                             Msg(ProductOf(1, 1), 300, "d")});
  worker_->RunOnce();
  EXPECT_EQ(queue_->done, (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(queue_->returned, (std::vector<std::string>{"b"}));
  ASSERT_EQ(queue_->dead.size(), 1u);
  EXPECT_EQ(queue_->dead[0].first, "c");
  EXPECT_NE(queue_->dead[0].second.find("product is missing"), std::string::npos);
  EXPECT_EQ(store_->prices[ProductOf(1)], Reprice(100));
  EXPECT_EQ(store_->prices[ProductOf(1, 1)], Reprice(300));
  EXPECT_EQ(store_->prices.count(ProductOf(2)), 0u);
  EXPECT_EQ(metrics_.tasks_received.Value(), 4);
  EXPECT_EQ(metrics_.tasks_processed.Value(), 2);
  EXPECT_EQ(metrics_.tasks_invalid.Value(), 1);
  EXPECT_EQ(Returned("not_held"), 1);
  EXPECT_EQ(metrics_.products_priced.WithLabels({"1"}).Value(), 2);
}

TEST_F(SharedQueueWorkerTest, ABatchOfOnlyOtherAgentsTasksPausesBeforeTheNextReceive) {
  auto q = std::make_unique<FakeQueue>();
  queue_ = q.get();
  worker_ = std::make_unique<SharedQueueWorker>(
      SharedWorkerConfig{.fleet = "f", .shard_count = kShards, .batch_size = 10, .wait = 250ms},
      std::move(q), std::make_unique<FakeStore>(), table_, metrics_,
      obs::Logger({.level = obs::Level::kError}));
  Hold(0, 1);
  queue_->batches.push_back({Msg(ProductOf(1), 1, "a"), Msg(ProductOf(2), 1, "b")});
  const auto start = std::chrono::steady_clock::now();
  worker_->RunOnce();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(queue_->returned, (std::vector<std::string>{"a", "b"}));

  queue_->batches.push_back({Msg(ProductOf(0), 1, "c"), Msg(ProductOf(2), 1, "d")});
  const auto again = std::chrono::steady_clock::now();
  worker_->RunOnce();
  EXPECT_LT(std::chrono::steady_clock::now() - again, 250ms) << "it priced one: no pause";
}

TEST_F(SharedQueueWorkerTest, HoldingNoShardItTakesNoTask) {
  Make();
  queue_->batches.push_back({Msg(ProductOf(0), 1, "a")});
  worker_->RunOnce();
  EXPECT_EQ(queue_->receives, 0);
  EXPECT_TRUE(queue_->returned.empty());
}

TEST_F(SharedQueueWorkerTest, AFencedOffWriteReturnsTheTasksAndDropsTheShard) {
  Make();
  Hold(2, 3);
  store_->marks[2] = 4;  // a successor wrote under token 4
  queue_->batches.push_back({Msg(ProductOf(2), 100, "a"), Msg(ProductOf(2, 1), 100, "b")});
  worker_->RunOnce();
  EXPECT_TRUE(queue_->done.empty());
  EXPECT_EQ(queue_->returned, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Returned("fenced"), 2);
  EXPECT_EQ(metrics_.fenced_rejections.Value(), 1);
  EXPECT_TRUE(table_.Active(std::chrono::steady_clock::now()).empty());
  EXPECT_TRUE(store_->prices.empty());
}

TEST_F(SharedQueueWorkerTest, AFailedWriteReturnsTheTasksAndKeepsTheShard) {
  Make();
  Hold(0, 1);
  store_->fail = true;
  queue_->batches.push_back({Msg(ProductOf(0), 100, "a")});
  worker_->RunOnce();
  EXPECT_TRUE(queue_->done.empty());
  EXPECT_EQ(queue_->returned, (std::vector<std::string>{"a"}));
  EXPECT_EQ(Returned("write_error"), 1);
  EXPECT_EQ(table_.Active(std::chrono::steady_clock::now()).size(), 1u);
}

TEST_F(SharedQueueWorkerTest, LongWorkKeepsTheTasksInWorkAlive) {
  Make(/*task_time=*/60ms);
  Hold(0, 1);
  queue_->batches.push_back(
      {Msg(ProductOf(0), 100, "a"), Msg(ProductOf(1), 100, "b"), Msg(ProductOf(0, 1), 100, "c")});
  worker_->RunOnce();  // 120 ms of work, keep-alive period 20 ms
  EXPECT_EQ(queue_->done, (std::vector<std::string>{"a", "c"}));
  // "b" went back before the work began: only a and c were kept alive.
  int during_work = 0;
  for (const auto& k : queue_->keep_alives) {
    if (k == std::vector<std::string>{"a", "c"}) ++during_work;
  }
  EXPECT_GE(during_work, 1) << "a loaded machine may oversleep, but never skip it";
}

TEST_F(SharedQueueWorkerTest, AShardLostDuringTheWorkSendsItsTasksBack) {
  Make(/*task_time=*/50ms);
  Hold(0, 1);
  queue_->batches.push_back({Msg(ProductOf(0), 100, "a")});
  std::thread lose([&] {
    std::this_thread::sleep_for(15ms);
    table_.MarkLost(0, 1);
  });
  worker_->RunOnce();
  lose.join();
  EXPECT_TRUE(queue_->done.empty());
  EXPECT_EQ(queue_->returned, (std::vector<std::string>{"a"}));
  EXPECT_TRUE(store_->prices.empty());
}

}  // namespace
}  // namespace agentfleet::agent
