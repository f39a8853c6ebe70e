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

void ExpectFenced(const Result<WriteOutcome>& s, int64_t mark) {
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
  auto code = [](const auto& s) { return s.ok() ? ErrorCode::kInternal : s.error().code; };
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 0, {{"a", 1}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {{"a", 1}, {"a", 2}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {{"", 1}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write("", 0, 1, {{"a", 1}})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Write(fleet(), 0, 1, {{"a", 1, {-1, 0}}})), ErrorCode::kInvalidArgument);
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

// Many tasks per product, written in an order that is not theirs: per
// product the newest task's price stays; an older task is skipped (counted,
// not an error: its batch's other products are written).
TEST_P(ResultConformance, TheNewestTaskOfEachProductWinsWhateverTheOrder) {
  auto store = NewResultStore();
  constexpr int kProducts = 6, kTasks = 12;
  auto version = [](int p, int k) { return TaskVersion{1'700'000'000'000 + k, p}; };
  auto price = [](int p, int k) { return int64_t{100} * k + p; };
  // Each product's tasks shuffled; batch j holds every product's j-th one.
  std::vector<std::vector<int>> order(kProducts);
  std::mt19937 rng(5);
  for (auto& o : order) {
    for (int k = 0; k < kTasks; ++k) o.push_back(k);
    std::shuffle(o.begin(), o.end(), rng);
  }
  std::vector<int> newest(kProducts, -1);
  size_t skipped = 0;
  for (int j = 0; j < kTasks; ++j) {
    std::vector<PriceWrite> batch;
    size_t older = 0;
    for (int p = 0; p < kProducts; ++p) {
      const int k = order[p][j];
      batch.push_back({"sku-" + std::to_string(p), price(p, k), version(p, k)});
      if (k < newest[p]) ++older;
      newest[p] = std::max(newest[p], k);
    }
    auto w = store->Write(fleet(), 1, 7, batch);
    ASSERT_OK(w);
    EXPECT_EQ(w->superseded, older) << "batch " << j;
    skipped += older;
  }
  EXPECT_GT(skipped, size_t{kProducts}) << "the order was not shuffled enough to test anything";
  for (int p = 0; p < kProducts; ++p) {
    const std::string product = "sku-" + std::to_string(p);
    EXPECT_EQ(**store->Get(fleet(), product),
              (StoredPrice{product, 1, price(p, kTasks - 1), 7, version(p, kTasks - 1)}));
  }
}

// A task delivered again (at least once) has the same version: it is
// written again, under the current token.
TEST_P(ResultConformance, TheSameTaskAgainIsWritten) {
  auto store = NewResultStore();
  ASSERT_OK(store->Write(fleet(), 2, 20, {{"p", 107, {5, 1}}}));
  auto again = store->Write(fleet(), 2, 21, {{"p", 107, {5, 1}}});
  ASSERT_OK(again);
  EXPECT_EQ(again->superseded, 0u);
  EXPECT_EQ(**store->Get(fleet(), "p"), (StoredPrice{"p", 2, 107, 21, {5, 1}}));
  auto older = store->Write(fleet(), 2, 21, {{"p", 1, {5, 0}}});
  ASSERT_OK(older);
  EXPECT_EQ(older->superseded, 1u);
  EXPECT_EQ(**store->Get(fleet(), "p"), (StoredPrice{"p", 2, 107, 21, {5, 1}}));
}

// Versions compare exactly over their whole range (no rounding through a
// double): hi first, then lo.
TEST_P(ResultConformance, VersionsCompareExactly) {
  auto store = NewResultStore();
  const int64_t big = (int64_t{1} << 62) + 1;  // beyond 2^53: a double would round it
  ASSERT_OK(store->Write(fleet(), 0, 1, {{"a", 1, {big, 5}}, {"b", 1, {7, big}}}));
  auto w = store->Write(fleet(), 0, 1, {{"a", 2, {big - 1, 9}}, {"b", 2, {7, big - 1}}});
  ASSERT_OK(w);
  EXPECT_EQ(w->superseded, 2u);
  w = store->Write(fleet(), 0, 1, {{"a", 3, {big, 6}}, {"b", 3, {8, 0}}});
  ASSERT_OK(w);
  EXPECT_EQ(w->superseded, 0u);
  EXPECT_EQ(**store->Get(fleet(), "a"), (StoredPrice{"a", 0, 3, 1, {big, 6}}));
  EXPECT_EQ(**store->Get(fleet(), "b"), (StoredPrice{"b", 0, 3, 1, {8, 0}}));
}

// The crash hand-off of issue 11: the dead owner's tasks stay pending until
// --claim-min-idle, while its successor reads newer tasks of the same
// products. The successor's late claim of the older ones must not overwrite
// the newer prices; and the dead owner, should it wake, is fenced off even
// with a newer task (the token rule comes first).
TEST_P(ResultConformance, AfterAHandOffLateClaimedOlderTasksAreSkipped) {
  auto leases = NewLeaseStore();
  auto results = NewResultStore();
  auto a = leases->Acquire(fleet(), 5, "agent-a", 200ms);
  ASSERT_OK(a);
  ASSERT_OK(results->RaiseFence(fleet(), 5, a->token));
  ASSERT_OK(results->Write(fleet(), 5, a->token, {{"x", 100, {10, 0}}, {"y", 200, {10, 1}}}));
  // agent-a read tasks 20-* and died before writing them: they stay pending.
  std::this_thread::sleep_for(300ms);
  auto b = leases->Acquire(fleet(), 5, "agent-b", 10000ms);
  ASSERT_OK(b);
  ASSERT_OK(results->RaiseFence(fleet(), 5, b->token));
  // agent-b reads new tasks first...
  auto fresh = results->Write(fleet(), 5, b->token, {{"x", 130, {30, 0}}, {"y", 230, {30, 1}}});
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh->superseded, 0u);
  // ...then claims the pending ones, which include a product with nothing newer.
  auto claimed = results->Write(fleet(), 5, b->token,
                                {{"x", 120, {20, 0}}, {"y", 220, {20, 1}}, {"z", 320, {20, 2}}});
  ASSERT_OK(claimed);
  EXPECT_EQ(claimed->superseded, 2u);
  EXPECT_EQ(**results->Get(fleet(), "x"), (StoredPrice{"x", 5, 130, b->token, {30, 0}}));
  EXPECT_EQ(**results->Get(fleet(), "y"), (StoredPrice{"y", 5, 230, b->token, {30, 1}}));
  EXPECT_EQ(**results->Get(fleet(), "z"), (StoredPrice{"z", 5, 320, b->token, {20, 2}}));
  ExpectFenced(results->Write(fleet(), 5, a->token, {{"x", 666, {40, 0}}}), b->token);
  EXPECT_EQ((*results->Get(fleet(), "x"))->price, 130);
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

// Many writers under one token (the check-and-write is atomic per product):
// whatever the interleaving, each product ends with its greatest version.
TEST_P(ResultConformance, ConcurrentWritersKeepTheNewestTask) {
  constexpr int kThreads = 6, kWrites = 60;
  std::vector<std::string> errors(kThreads);
  std::vector<int64_t> greatest(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = NewResultStore();
      std::mt19937 rng(100 + t);
      for (int i = 0; i < kWrites; ++i) {
        const int64_t v = 1 + static_cast<int64_t>(rng() % 100'000);
        greatest[t] = std::max(greatest[t], v);
        auto s = store->Write(fleet(), 0, 3, {{"hot", v, {v, t}}});
        if (!s.ok()) {
          errors[t] = s.error().ToString();
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  int winner = 0;
  for (int t = 0; t < kThreads; ++t) {
    if (TaskVersion{greatest[t], t} > TaskVersion{greatest[winner], winner}) winner = t;
  }
  auto store = NewResultStore();
  EXPECT_EQ(**store->Get(fleet(), "hot"),
            (StoredPrice{"hot", 0, greatest[winner], 3, {greatest[winner], winner}}));
}

}  // namespace
}  // namespace agentfleet::agent::results::testing
