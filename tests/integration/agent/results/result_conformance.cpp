// The fencing rule of the result store, checked identically on every store.
#include "tests/integration/agent/results/result_conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

namespace agentfleet::agent::results::testing {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const auto& _r = (expr);                                        \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

void ExpectFenced(const Status& s, int64_t mark) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition) << s.error().ToString();
  EXPECT_NE(s.error().message.find("accepted token " + std::to_string(mark)), std::string::npos)
      << s.error().message;
}

TEST_P(ResultConformance, WriteThenRead) {
  auto store = NewResultStore();
  ASSERT_OK(store->Write(fleet(), 4, 10, {{"sku-1", 1999}, {"sku-2", 250}}));
  auto p = store->Get(fleet(), "sku-1");
  ASSERT_OK(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ(**p, (StoredPrice{"sku-1", 4, 1999, 10}));
  auto none = store->Get(fleet(), "sku-3");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(*store->HighWater(fleet(), 4), 10);
  EXPECT_EQ(*store->HighWater(fleet(), 5), 0);
}

TEST_P(ResultConformance, LowerTokenIsRejectedEqualAndHigherAccepted) {
  auto store = NewResultStore();
  ASSERT_OK(store->Write(fleet(), 1, 20, {{"p", 100}}));
  ExpectFenced(store->Write(fleet(), 1, 19, {{"p", 666}, {"q", 666}}), 20);
  EXPECT_EQ((*store->Get(fleet(), "p"))->price, 100);
  EXPECT_FALSE(store->Get(fleet(), "q")->has_value()) << "a rejected write must write nothing";
  ASSERT_OK(store->Write(fleet(), 1, 20, {{"p", 101}}));  // same lease, again
  EXPECT_EQ((*store->Get(fleet(), "p"))->price, 101);
  ASSERT_OK(store->Write(fleet(), 1, 21, {{"p", 102}}));
  EXPECT_EQ(*store->HighWater(fleet(), 1), 21);
  ExpectFenced(store->Write(fleet(), 1, 20, {{"p", 666}}), 21);
  EXPECT_EQ(**store->Get(fleet(), "p"), (StoredPrice{"p", 1, 102, 21}));
}

// An agent raises the fence as it acquires a lease, before it writes: a
// predecessor whose lease the store expired early (its clock stepped) is
// fenced off at once, not only after the new holder's first write. Raising
// never lowers the mark, and writes at the raised token go through.
TEST_P(ResultConformance, RaisingTheFenceFencesOffOlderTokensBeforeAnyWrite) {
  auto store = NewResultStore();
  ASSERT_OK(store->Write(fleet(), 2, 30, {{"p", 100}}));
  ASSERT_OK(store->RaiseFence(fleet(), 2, 40));
  EXPECT_EQ(*store->HighWater(fleet(), 2), 40);
  ExpectFenced(store->Write(fleet(), 2, 30, {{"p", 666}}), 40);
  EXPECT_EQ((*store->Get(fleet(), "p"))->price, 100);
  ASSERT_OK(store->RaiseFence(fleet(), 2, 35));  // lower: changes nothing
  EXPECT_EQ(*store->HighWater(fleet(), 2), 40);
  ASSERT_OK(store->Write(fleet(), 2, 40, {{"p", 101}}));
  EXPECT_EQ(**store->Get(fleet(), "p"), (StoredPrice{"p", 2, 101, 40}));
  ASSERT_OK(store->RaiseFence(fleet(), 3, 7));  // a shard never written
  EXPECT_EQ(*store->HighWater(fleet(), 3), 7);
  EXPECT_EQ(*store->HighWater(fleet(), 4), 0);
  EXPECT_FALSE(store->RaiseFence(fleet(), 2, 0).ok()) << "tokens start at 1";
}

TEST_P(ResultConformance, FencesArePerShardAndPerFleet) {
  auto store = NewResultStore();
  ASSERT_OK(store->Write(fleet(), 1, 50, {{"a", 1}}));
  ASSERT_OK(store->Write(fleet(), 2, 3, {{"b", 2}}));
  ASSERT_OK(store->Write(fleet() + "-x", 1, 3, {{"a", 3}}));
  EXPECT_EQ((*store->Get(fleet(), "a"))->price, 1);
  EXPECT_EQ((*store->Get(fleet() + "-x", "a"))->price, 3);
  ASSERT_OK(store->DeleteFleet(fleet() + "-x"));
}

TEST_P(ResultConformance, InvalidWritesAreRejected) {
  auto store = NewResultStore();
  auto code = [](const Status& s) { return s.ok() ? ErrorCode::kInternal : s.error().code; };
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 0, {{"a", 1}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {{"a", 1}, {"a", 2}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {{"", 1}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write("", 0, 1, {{"a", 1}})), ErrorCode::kInvalidArgument);
}

TEST_P(ResultConformance, ProductIdsAreOpaque) {
  auto store = NewResultStore();
  const std::string odd = "sku \"with\" {braces}, commas\\ and ünïcode";
  ASSERT_OK(store->Write(fleet(), 0, 1, {{odd, -5}}));
  auto p = store->Get(fleet(), odd);
  ASSERT_OK(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->price, -5);
}

TEST_P(ResultConformance, DeleteFleet) {
  auto store = NewResultStore();
  ASSERT_OK(store->Write(fleet(), 0, 9, {{"a", 1}}));
  ASSERT_OK(store->DeleteFleet(fleet()));
  EXPECT_FALSE(store->Get(fleet(), "a")->has_value());
  EXPECT_EQ(*store->HighWater(fleet(), 0), 0);
}

// The hand-off the protocol exists for: a holder that lost its lease without
// noticing keeps writing; once the successor has written, it is fenced off.
TEST_P(ResultConformance, FencesAStaleHolderAfterLeaseExpiry) {
  auto leases = NewLeaseStore();
  auto results = NewResultStore();
  auto a = leases->Acquire(fleet(), 3, "agent-a", 200ms);
  ASSERT_OK(a);
  ASSERT_OK(results->Write(fleet(), 3, a->token, {{"sku-9", 100}}));
  std::this_thread::sleep_for(300ms);  // agent-a stalls past its TTL
  auto b = leases->Acquire(fleet(), 3, "agent-b", 10000ms);
  ASSERT_OK(b);
  ASSERT_OK(results->Write(fleet(), 3, b->token, {{"sku-9", 120}}));
  ExpectFenced(results->Write(fleet(), 3, a->token, {{"sku-9", 100}}), b->token);
  EXPECT_EQ(**results->Get(fleet(), "sku-9"), (StoredPrice{"sku-9", 3, 120, b->token}));
}

// Many writers, random tokens: no write may be accepted after a write with a
// greater token has completed, and the survivor is the greatest token's.
TEST_P(ResultConformance, ConcurrentWritersNeverGoBackwards) {
  constexpr int kThreads = 6;
  struct Attempt {
    int64_t token;
    bool accepted;
    int64_t start_ns, end_ns;
  };
  std::mutex mu;
  std::vector<Attempt> attempts;
  std::vector<std::string> errors(kThreads);
  const auto until = Steady::now() + 1500ms;
  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
        .count();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = NewResultStore();
      std::mt19937 rng(t);
      int64_t base = 1;
      while (Steady::now() < until) {
        base += rng() % 5;
        const int64_t token = base + static_cast<int64_t>(rng() % 50);
        const int64_t start = now_ns();
        auto s =
            store->Write(fleet(), 0, token, {{"hot", token}, {"cold-" + std::to_string(t), token}});
        const int64_t end = now_ns();
        if (!s.ok() && s.error().code != ErrorCode::kFailedPrecondition) {
          errors[t] = s.error().ToString();
          return;
        }
        std::lock_guard lock(mu);
        attempts.push_back({token, s.ok(), start, end});
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");

  int64_t max_accepted = 0;
  size_t accepted = 0, rejected = 0;
  for (const auto& a : attempts) {
    (a.accepted ? accepted : rejected)++;
    if (a.accepted) max_accepted = std::max(max_accepted, a.token);
  }
  EXPECT_GT(accepted, 10u);
  EXPECT_GT(rejected, 10u) << "no contention: the test proves nothing";
  // Sort accepted writes by completion; any accepted write that started after
  // a greater-token write completed is a fencing violation.
  std::vector<Attempt> ok;
  for (const auto& a : attempts) {
    if (a.accepted) ok.push_back(a);
  }
  std::sort(ok.begin(), ok.end(), [](auto& x, auto& y) { return x.end_ns < y.end_ns; });
  int64_t done_max = 0;
  size_t j = 0;
  std::vector<Attempt> by_start = ok;
  std::sort(by_start.begin(), by_start.end(),
            [](auto& x, auto& y) { return x.start_ns < y.start_ns; });
  for (const auto& w : by_start) {
    while (j < ok.size() && ok[j].end_ns < w.start_ns) done_max = std::max(done_max, ok[j++].token);
    EXPECT_GE(w.token, done_max) << "token " << w.token << " accepted after " << done_max;
  }
  auto store = NewResultStore();
  EXPECT_EQ(*store->HighWater(fleet(), 0), max_accepted);
  EXPECT_EQ((*store->Get(fleet(), "hot"))->token, max_accepted);
  EXPECT_EQ((*store->Get(fleet(), "hot"))->price, max_accepted);
}

}  // namespace
}  // namespace agentfleet::agent::results::testing
