// The lease-table semantics of DESIGN.md, checked identically on every store.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "tests/integration/sources/lease/conformance.h"

namespace agentfleet::sources::lease::testing {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr Millis kLong{30000};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MonoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const auto& _r = (expr);                                        \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

void ExpectPrecondition(const Status& s, const std::string& phrase) {
  ASSERT_FALSE(s.ok()) << "expected a failure mentioning: " << phrase;
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition) << s.error().ToString();
  EXPECT_NE(s.error().message.find(phrase), std::string::npos) << s.error().message;
}

template <typename T>
Status AsStatus(const Result<T>& r) {
  if (r.ok()) return Ok{};
  return r.error();
}

TEST_P(LeaseConformance, AcquireFreeShard) {
  auto store = harness().NewLeaseStore();
  const int64_t before = WallMs();
  auto lease = store->Acquire(fleet(), 3, "agent-a", 10000ms);
  ASSERT_OK(lease);
  EXPECT_EQ(lease->shard, 3u);
  EXPECT_GT(lease->token, 0);
  // The expiry is the store's clock + TTL; the store runs on this machine.
  EXPECT_NEAR(static_cast<double>(lease->expires_at_ms - 10000), static_cast<double>(before), 2000);

  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  ASSERT_EQ(snap->records.size(), 1u);
  EXPECT_EQ(snap->records[0], (LeaseRecord{3, "agent-a", lease->token, lease->expires_at_ms}));
  ASSERT_NE(snap->Valid(3), nullptr);
  EXPECT_EQ(snap->Valid(4), nullptr);
  EXPECT_LE(snap->now_ms, lease->expires_at_ms);
}

TEST_P(LeaseConformance, AcquireHeldShardFailsNamingTheHolder) {
  auto store = harness().NewLeaseStore();
  auto a = store->Acquire(fleet(), 0, "agent-a", kLong);
  ASSERT_OK(a);
  auto b = store->Acquire(fleet(), 0, "agent-b", kLong);
  ExpectPrecondition(AsStatus(b), "held by agent-a");
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  EXPECT_EQ(snap->records[0].holder, "agent-a");
  EXPECT_EQ(snap->records[0].token, a->token);
}

TEST_P(LeaseConformance, HolderReacquiresWithAGreaterToken) {
  auto store = harness().NewLeaseStore();
  auto first = store->Acquire(fleet(), 1, "agent-a", kLong);
  ASSERT_OK(first);
  auto second = store->Acquire(fleet(), 1, "agent-a", kLong);
  ASSERT_OK(second);
  EXPECT_GT(second->token, first->token);
  // The earlier incarnation's token is now stale.
  ExpectPrecondition(AsStatus(store->Renew(fleet(), 1, "agent-a", first->token, kLong)),
                     "is stale");
  ASSERT_OK(store->Renew(fleet(), 1, "agent-a", second->token, kLong));
}

TEST_P(LeaseConformance, ExpiryByStoreClockLetsAnotherHolderIn) {
  auto store = harness().NewLeaseStore();
  auto a = store->Acquire(fleet(), 2, "agent-a", 400ms);
  ASSERT_OK(a);
  const auto granted = Steady::now();
  ExpectPrecondition(AsStatus(store->Acquire(fleet(), 2, "agent-b", kLong)), "held by agent-a");

  Result<Lease> b = MakeError(ErrorCode::kInternal, "not tried");
  while (Steady::now() - granted < 5s) {
    b = store->Acquire(fleet(), 2, "agent-b", kLong);
    if (b.ok()) break;
    ASSERT_EQ(b.error().code, ErrorCode::kFailedPrecondition) << b.error().ToString();
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_OK(b);
  const auto waited = Steady::now() - granted;
  EXPECT_GE(waited, 300ms) << "the lease ended well before its TTL";
  EXPECT_GT(b->token, a->token);
  // b's lease began (store clock) no earlier than a's ended.
  EXPECT_GE(b->expires_at_ms - kLong.count(), a->expires_at_ms);

  ExpectPrecondition(AsStatus(store->Renew(fleet(), 2, "agent-a", a->token, kLong)),
                     "held by agent-b, not by agent-a");
  ExpectPrecondition(store->Release(fleet(), 2, "agent-a", a->token), "held by agent-b");
}

TEST_P(LeaseConformance, RenewExtendsAndExpiredLeaseCannotBeRenewed) {
  auto store = harness().NewLeaseStore();
  auto a = store->Acquire(fleet(), 5, "agent-a", 300ms);
  ASSERT_OK(a);
  auto renewed = store->Renew(fleet(), 5, "agent-a", a->token, 20000ms);
  ASSERT_OK(renewed);
  EXPECT_EQ(renewed->token, a->token);
  EXPECT_GE(renewed->expires_at_ms, a->expires_at_ms + 15000);

  auto short_lease = store->Acquire(fleet(), 6, "agent-a", 100ms);
  ASSERT_OK(short_lease);
  std::this_thread::sleep_for(300ms);
  ExpectPrecondition(AsStatus(store->Renew(fleet(), 6, "agent-a", short_lease->token, kLong)),
                     "expired");
  // Releasing an expired lease nobody took is allowed (it is still ours).
  ASSERT_OK(store->Release(fleet(), 6, "agent-a", short_lease->token));
}

TEST_P(LeaseConformance, RenewAndReleaseOnlyByHolderWithCurrentToken) {
  auto store = harness().NewLeaseStore();
  auto a = store->Acquire(fleet(), 7, "agent-a", kLong);
  ASSERT_OK(a);
  ExpectPrecondition(AsStatus(store->Renew(fleet(), 7, "agent-b", a->token, kLong)),
                     "held by agent-a, not by agent-b");
  ExpectPrecondition(store->Release(fleet(), 7, "agent-b", a->token), "not by agent-b");
  ExpectPrecondition(AsStatus(store->Renew(fleet(), 7, "agent-a", a->token - 1, kLong)),
                     "is stale");
  ExpectPrecondition(store->Release(fleet(), 7, "agent-a", a->token + 1), "is stale");
  ExpectPrecondition(AsStatus(store->Renew(fleet(), 8, "agent-a", 1, kLong)), "never acquired");
  // Nothing changed.
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  ASSERT_EQ(snap->records.size(), 1u);
  EXPECT_EQ(snap->records[0], (LeaseRecord{7, "agent-a", a->token, a->expires_at_ms}));
}

TEST_P(LeaseConformance, ReleaseThenReacquireGivesAGreaterToken) {
  auto store = harness().NewLeaseStore();
  auto a = store->Acquire(fleet(), 9, "agent-a", kLong);
  ASSERT_OK(a);
  ASSERT_OK(store->Release(fleet(), 9, "agent-a", a->token));
  ExpectPrecondition(store->Release(fleet(), 9, "agent-a", a->token), "released");
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  ASSERT_EQ(snap->records.size(), 1u);
  EXPECT_EQ(snap->records[0].holder, "");
  EXPECT_EQ(snap->records[0].token, a->token);  // the counter survives release
  EXPECT_EQ(snap->Valid(9), nullptr);

  auto b = store->Acquire(fleet(), 9, "agent-b", kLong);
  ASSERT_OK(b);
  EXPECT_GT(b->token, a->token);
  auto again = store->Acquire(fleet(), 9, "agent-a", kLong);
  ExpectPrecondition(AsStatus(again), "held by agent-b");
}

// The operator revokes a lease held by a stranger (no pod of the fleet): only
// the lease it saw (same token), never a newer one. The record is freed with
// its token bumped, so the stranger can neither renew nor release it, and
// the next holder gets a greater token still.
TEST_P(LeaseConformance, RevokeFreesOnlyTheLeaseSeenAndBumpsItsToken) {
  auto store = harness().NewLeaseStore();
  auto a = store->Acquire(fleet(), 3, "zombie/1", kLong);
  auto b = store->Acquire(fleet(), 4, "agent-b", kLong);
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto r = store->RevokeMany(fleet(), {{3, a->token}, {4, b->token - 1}, {5, 1}});
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].ok()) << (*r)[0].error().ToString();
  ExpectPrecondition((*r)[1], "changed");  // a newer lease than the one seen
  ExpectPrecondition((*r)[2], "never acquired");
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  EXPECT_EQ(snap->Valid(3), nullptr);
  ASSERT_NE(snap->Valid(4), nullptr) << "agent-b's lease is untouched";
  EXPECT_EQ(snap->Valid(4)->token, b->token);
  for (const auto& rec : snap->records) {
    if (rec.shard == 3) {
      EXPECT_EQ(rec.token, a->token + 1);
    }
  }
  ExpectPrecondition(AsStatus(store->Renew(fleet(), 3, "zombie/1", a->token, kLong)), "");
  ExpectPrecondition(store->Release(fleet(), 3, "zombie/1", a->token), "");
  auto next = store->Acquire(fleet(), 3, "agent-c", kLong);
  ASSERT_OK(next);
  EXPECT_GT(next->token, a->token + 1);
  ASSERT_OK(store->RevokeMany(fleet(), {}));
}

TEST_P(LeaseConformance, BatchOperationsReportPerShard) {
  auto store = harness().NewLeaseStore();
  ASSERT_OK(store->Acquire(fleet(), 50, "agent-b", kLong));
  std::vector<uint32_t> shards;
  for (uint32_t s = 0; s < 100; ++s) shards.push_back(99 - s);  // any order
  auto got = store->AcquireMany(fleet(), shards, "agent-a", kLong);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 100u);
  std::vector<ShardToken> mine;
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i] == 50) {
      ExpectPrecondition(AsStatus((*got)[i]), "held by agent-b");
      continue;
    }
    ASSERT_OK((*got)[i]);
    EXPECT_EQ((*got)[i]->shard, shards[i]);
    mine.push_back({shards[i], (*got)[i]->token});
  }
  mine.push_back({50, 1});
  auto renewed = store->RenewMany(fleet(), mine, "agent-a", kLong);
  ASSERT_OK(renewed);
  ASSERT_EQ(renewed->size(), 100u);
  for (size_t i = 0; i + 1 < mine.size(); ++i) {
    ASSERT_OK((*renewed)[i]);
    EXPECT_EQ((*renewed)[i]->token, mine[i].token);
  }
  EXPECT_FALSE(renewed->back().ok());
  auto released = store->ReleaseMany(fleet(), mine, "agent-a");
  ASSERT_OK(released);
  for (size_t i = 0; i + 1 < mine.size(); ++i) ASSERT_OK((*released)[i]);
  EXPECT_FALSE(released->back().ok());

  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  ASSERT_EQ(snap->records.size(), 100u);
  for (const auto& r : snap->records) {
    EXPECT_EQ(r.ValidAt(snap->now_ms), r.shard == 50) << r.shard;
  }
}

TEST_P(LeaseConformance, InvalidInputIsRejectedBeforeTheStore) {
  auto store = harness().NewLeaseStore();
  auto code = [](const auto& r) { return r.ok() ? ErrorCode::kInternal : r.error().code; };
  EXPECT_EQ(code(store->Acquire("", 0, "a", kLong)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Acquire(fleet(), 0, "", kLong)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Acquire(fleet(), 0, "a\nb", kLong)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->Acquire(fleet(), 0, "a", 0ms)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->AcquireMany(fleet(), {1, 2, 1}, "a", kLong)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(store->RenewMany(fleet(), {{1, 1}, {1, 2}}, "a", kLong)),
            ErrorCode::kInvalidArgument);
  auto empty = store->AcquireMany(fleet(), {}, "a", kLong);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  EXPECT_TRUE(snap->records.empty());
}

TEST_P(LeaseConformance, HolderNamesAreOpaque) {
  auto store = harness().NewLeaseStore();
  const std::string holder = "pod with spaces/ünïcode 'quote\" \\ 1 2";
  auto a = store->Acquire(fleet(), 0, holder, kLong);
  ASSERT_OK(a);
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  EXPECT_EQ(snap->records[0].holder, holder);
  ASSERT_OK(store->Renew(fleet(), 0, holder, a->token, kLong));
}

TEST_P(LeaseConformance, DeleteFleetRemovesOnlyThatFleet) {
  auto store = harness().NewLeaseStore();
  const std::string other = fleet() + "-other";
  auto a = store->AcquireMany(fleet(), {0, 1, 2}, "agent-a", kLong);
  ASSERT_OK(a);
  ASSERT_OK(store->Acquire(other, 0, "agent-a", kLong));
  ASSERT_OK(store->DeleteFleet(fleet()));
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  EXPECT_TRUE(snap->records.empty());
  auto kept = store->Snapshot(other);
  ASSERT_OK(kept);
  EXPECT_EQ(kept->records.size(), 1u);
  // Tokens stay ahead of the deleted ones: they are floored by the store clock.
  auto b = store->Acquire(fleet(), 0, "agent-b", kLong);
  ASSERT_OK(b);
  EXPECT_GT(b->token, (*a)[0]->token);
  ASSERT_OK(store->DeleteFleet(other));
  ASSERT_OK(store->DeleteFleet(fleet()));
}

TEST_P(LeaseConformance, SnapshotOfManyShardsIsConsistent) {
  auto store = harness().NewLeaseStore();
  std::vector<uint32_t> shards(2000);
  for (uint32_t i = 0; i < shards.size(); ++i) shards[i] = i;
  auto a = store->AcquireMany(fleet(), shards, "agent-a", kLong);
  ASSERT_OK(a);
  std::vector<ShardToken> release;
  for (uint32_t i = 0; i < 2000; i += 2) release.push_back({i, (*a)[i]->token});
  ASSERT_OK(store->ReleaseMany(fleet(), release, "agent-a"));
  auto snap = store->Snapshot(fleet());
  ASSERT_OK(snap);
  ASSERT_EQ(snap->records.size(), 2000u);
  for (uint32_t i = 0; i < 2000; ++i) {
    const LeaseRecord& r = snap->records[i];
    EXPECT_EQ(r.shard, i);
    EXPECT_EQ(r.token, (*a)[i]->token);
    EXPECT_EQ(r.ValidAt(snap->now_ms), i % 2 == 1) << i;
  }
}

// --- Races -------------------------------------------------------------------

struct Grant {
  uint32_t shard = 0;
  int64_t token = 0;
  std::string holder;
  int64_t start_ms = 0;  // store clock
  int64_t expires_ms = 0;
  int64_t acquired_ns = 0;       // monotonic, when Acquire returned
  int64_t release_start_ns = 0;  // monotonic, when Release was called; 0: not released
};

constexpr uint32_t kRaceShards = 3;
constexpr Millis kRaceTtl{150};

// Competes for kRaceShards shards until `until`; every grant goes to `out`.
// Returns an error message for anything but a clean "held by another" refusal.
std::string Compete(LeaseStore& store, const std::string& fleet, const std::string& holder,
                    Steady::time_point until, std::vector<Grant>& out,
                    std::atomic<int64_t>* max_token = nullptr) {
  std::mt19937 rng(std::hash<std::string>{}(holder));
  while (Steady::now() < until) {
    const uint32_t shard = rng() % kRaceShards;
    auto lease = store.Acquire(fleet, shard, holder, kRaceTtl);
    const int64_t acquired = MonoNs();
    if (!lease.ok()) {
      if (lease.error().code != ErrorCode::kFailedPrecondition) return lease.error().ToString();
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
      continue;
    }
    if (max_token) {
      int64_t cur = max_token[shard].load();
      while (cur < lease->token && !max_token[shard].compare_exchange_weak(cur, lease->token)) {
      }
    }
    Grant g{shard,
            lease->token,
            holder,
            lease->expires_at_ms - kRaceTtl.count(),
            lease->expires_at_ms,
            acquired,
            0};
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    if (rng() % 4 != 0) {
      const int64_t start = MonoNs();
      auto s = store.Release(fleet, shard, holder, lease->token);
      if (s.ok()) {
        g.release_start_ns = start;
      } else if (s.error().code != ErrorCode::kFailedPrecondition) {
        return s.error().ToString();
      }  // else: we overslept the TTL and someone took over; it expired
    }
    out.push_back(std::move(g));
  }
  return "";
}

std::string Serialize(const std::vector<Grant>& grants) {
  std::ostringstream out;
  for (const auto& g : grants) {
    out << g.shard << ' ' << g.token << ' ' << g.start_ms << ' ' << g.expires_ms << ' '
        << g.acquired_ns << ' ' << g.release_start_ns << ' ' << g.holder << '\n';
  }
  return out.str();
}

std::vector<Grant> Parse(std::istream& in) {
  std::vector<Grant> out;
  Grant g;
  while (in >> g.shard >> g.token >> g.start_ms >> g.expires_ms >> g.acquired_ns >>
         g.release_start_ns) {
    in.get();
    std::getline(in, g.holder);
    out.push_back(g);
  }
  return out;
}

// Never two valid holders: ordered by token, each grant to another holder
// starts after the previous one ended: released (by the monotonic clock all
// processes share) or expired (by the store's clock).
void CheckNoOverlap(std::vector<Grant> grants) {
  std::sort(grants.begin(), grants.end(), [](const Grant& a, const Grant& b) {
    return std::tie(a.shard, a.token) < std::tie(b.shard, b.token);
  });
  for (size_t i = 1; i < grants.size(); ++i) {
    const Grant& prev = grants[i - 1];
    const Grant& next = grants[i];
    if (prev.shard != next.shard) continue;
    ASSERT_LT(prev.token, next.token) << "token issued twice on shard " << next.shard;
    EXPECT_LE(prev.start_ms, next.start_ms) << "tokens out of time order on shard " << next.shard;
    // A holder may re-acquire its own valid lease: the new token supersedes.
    if (prev.holder == next.holder) continue;
    if (prev.release_start_ns != 0) {
      EXPECT_GT(next.acquired_ns, prev.release_start_ns)
          << "shard " << next.shard << ": " << next.holder << " (token " << next.token
          << ") was granted before " << prev.holder << " released token " << prev.token;
    } else {
      EXPECT_GE(next.start_ms, prev.expires_ms)
          << "shard " << next.shard << ": " << next.holder << " (token " << next.token
          << ") was granted while " << prev.holder << "'s token " << prev.token << " was valid";
    }
  }
}

TEST_P(LeaseConformance, ConcurrentAcquireFromThreadsAndProcesses) {
  constexpr int kProcesses = 3;
  constexpr int kThreads = 6;
  const auto until = Steady::now() + 2500ms;

  // Processes first, while this process has no threads of its own.
  const std::string dir = MakeTempDir("race");
  std::vector<std::pair<pid_t, std::string>> children;
  for (int p = 0; p < kProcesses; ++p) {
    const std::string file = dir + "/grants-" + std::to_string(p);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        auto store = harness().NewLeaseStore();
        std::vector<Grant> grants;
        const std::string err =
            Compete(*store, fleet(), "proc-" + std::to_string(p), until, grants);
        std::ofstream(file) << Serialize(grants);
        if (!err.empty()) {
          std::fprintf(stderr, "child %d: %s\n", p, err.c_str());
          rc = 1;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child %d: %s\n", p, e.what());
        rc = 2;
      }
      std::fflush(stderr);
      ::_exit(rc);
    }
    children.emplace_back(pid, file);
  }

  std::atomic<int64_t> max_token[kRaceShards] = {};
  std::vector<std::vector<Grant>> per_thread(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = harness().NewLeaseStore();
      errors[t] =
          Compete(*store, fleet(), "thread-" + std::to_string(t), until, per_thread[t], max_token);
    });
  }
  // Snapshots during the race: at most one valid holder per shard (one record
  // each), and never older than a grant already returned.
  auto observer = harness().NewLeaseStore();
  int snapshots = 0;
  std::map<uint32_t, int64_t> seen;
  while (Steady::now() < until) {
    int64_t floor[kRaceShards];
    for (uint32_t s = 0; s < kRaceShards; ++s) floor[s] = max_token[s].load();
    auto snap = observer->Snapshot(fleet());
    ASSERT_OK(snap);
    ++snapshots;
    EXPECT_LE(snap->records.size(), kRaceShards);
    for (const auto& r : snap->records) {
      EXPECT_GE(r.token, floor[r.shard]) << "snapshot missed a returned acquire";
      EXPECT_GE(r.token, seen[r.shard]) << "snapshot went back in time";
      seen[r.shard] = r.token;
    }
    std::this_thread::sleep_for(5ms);
  }
  for (auto& t : threads) t.join();

  std::vector<Grant> all;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    all.insert(all.end(), per_thread[t].begin(), per_thread[t].end());
  }
  for (const auto& [pid, file] : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid;
    std::ifstream in(file);
    auto grants = Parse(in);
    EXPECT_FALSE(grants.empty()) << "a process never won a lease";
    all.insert(all.end(), grants.begin(), grants.end());
  }
  std::filesystem::remove_all(dir);
  EXPECT_GT(snapshots, 10);
  EXPECT_GT(all.size(), 30u) << "too little contention to prove anything";
  CheckNoOverlap(all);
}

// --- Restart -----------------------------------------------------------------

// The first call after a restart may find its connection dead (kUnavailable);
// the store reconnects on the next call.
template <typename F>
auto RetryOnce(F&& f) {
  auto r = f();
  if (!r.ok() && r.error().code == ErrorCode::kUnavailable) r = f();
  return r;
}

TEST_P(LeaseConformance, StoreRestart) {
  auto server = harness().StartPrivateServer();
  auto store = server->NewLeaseStore();
  auto a = store->AcquireMany(fleet(), {0, 1}, "agent-a", kLong);
  ASSERT_OK(a);
  const int64_t token = (*a)[0]->token;
  server->Restart();

  auto snap = RetryOnce([&] { return store->Snapshot(fleet()); });
  ASSERT_OK(snap);
  if (harness().Durable()) {
    // PostgreSQL: leases survive; the holder renews with its token; others wait.
    ASSERT_EQ(snap->records.size(), 2u);
    EXPECT_EQ(snap->records[0].token, token);
    ASSERT_OK(store->Renew(fleet(), 0, "agent-a", token, kLong));
    ExpectPrecondition(AsStatus(store->Acquire(fleet(), 0, "agent-b", kLong)), "held by agent-a");
  } else {
    // Redis without persistence: every lease is gone, the holder cannot renew,
    // and another agent may take the shard at once. Its token is still greater
    // than any before the restart (tokens are floored by the server clock), so
    // the fenced result store rejects the old holder once the new one writes.
    EXPECT_TRUE(snap->records.empty());
    ExpectPrecondition(AsStatus(store->Renew(fleet(), 0, "agent-a", token, kLong)),
                       "never acquired");
    auto b = store->Acquire(fleet(), 0, "agent-b", kLong);
    ASSERT_OK(b);
    EXPECT_GT(b->token, token);
  }
}

}  // namespace
}  // namespace agentfleet::sources::lease::testing
