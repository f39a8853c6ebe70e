// Lease-table throughput and snapshot latency, per store, against the
// fixture servers. Run with `make bench` (CTest label bench).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "controller/sources/lease/pg_lease_store.h"
#include "controller/sources/lease/redis_lease_store.h"

namespace agentfleet::sources::lease {
namespace {

using namespace std::chrono_literals;

std::string FixtureLine(const char* env, const char* file) {
  const char* dir = std::getenv(env);
  if (dir == nullptr) throw std::runtime_error(std::string(env) + " is not set (run via ctest)");
  std::ifstream in(std::string(dir) + "/" + file);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(std::string("cannot read ") + file);
  return line;
}

enum class Kind { kRedis, kPostgres };

std::unique_ptr<LeaseStore> Open(Kind kind) {
  if (kind == Kind::kRedis) {
    sources::redis::Options o;
    o.port = static_cast<uint16_t>(std::stoi(FixtureLine("AGENTFLEET_REDIS_DIR", "port")));
    o.command_timeout = 30s;
    auto s = RedisLeaseStore::Connect(o);
    if (!s.ok()) throw std::runtime_error(s.error().ToString());
    return std::move(*s);
  }
  PgOptions o;
  o.conninfo = FixtureLine("AGENTFLEET_POSTGRES_DIR", "conninfo");
  o.password = FixtureLine("AGENTFLEET_POSTGRES_DIR", "password");
  o.statement_timeout = 60s;
  auto s = PgLeaseStore::Connect(o);
  if (!s.ok()) throw std::runtime_error(s.error().ToString());
  return std::move(*s);
}

std::string Fleet(const char* what) {
  return std::string("bench-") + what + "-" + std::to_string(std::random_device{}());
}

template <typename T>
void Check(const Result<T>& r, benchmark::State& state) {
  if (!r.ok()) state.SkipWithError(r.error().ToString().c_str());
}

// The operator's view: one snapshot of a fleet with N shards, all leased.
void BM_Snapshot(benchmark::State& state, Kind kind) {
  const auto shards = static_cast<uint32_t>(state.range(0));
  auto store = Open(kind);
  const std::string fleet = Fleet("snapshot");
  constexpr uint32_t kChunk = 5000;
  for (uint32_t from = 0; from < shards; from += kChunk) {
    std::vector<uint32_t> batch;
    for (uint32_t s = from; s < std::min(shards, from + kChunk); ++s) batch.push_back(s);
    auto r = store->AcquireMany(fleet, batch, "agent-" + std::to_string(from / 64), 3600s);
    if (!r.ok()) {
      state.SkipWithError(r.error().ToString().c_str());
      return;
    }
  }
  for (auto _ : state) {
    auto snap = store->Snapshot(fleet);
    Check(snap, state);
    if (snap.ok() && snap->records.size() != shards) state.SkipWithError("snapshot lost records");
    benchmark::DoNotOptimize(snap);
  }
  state.SetItemsProcessed(state.iterations() * shards);
  (void)store->DeleteFleet(fleet);
}

// An agent's steady state, one shard at a time: acquire, renew, release.
// items/s counts lease operations (3 per iteration); threads use their own
// connections and their own shards.
void BM_LeaseCycle(benchmark::State& state, Kind kind) {
  // One fleet for every thread and repetition (thread-safe static init);
  // threads use disjoint shards and release what they take.
  static const std::string fleet = Fleet("cycle");
  auto store = Open(kind);
  const std::string holder = "agent-" + std::to_string(state.thread_index());
  uint32_t i = 0;
  for (auto _ : state) {
    const uint32_t shard = static_cast<uint32_t>(state.thread_index()) * 1000000 + (i++ % 1024);
    auto a = store->Acquire(fleet, shard, holder, 30s);
    Check(a, state);
    if (!a.ok()) break;
    Check(store->Renew(fleet, shard, holder, a->token, 30s), state);
    Check(store->Release(fleet, shard, holder, a->token), state);
  }
  state.SetItemsProcessed(state.iterations() * 3);
}

// An agent holding many shards renews them all in one round trip.
void BM_RenewBatch(benchmark::State& state, Kind kind) {
  const auto n = static_cast<uint32_t>(state.range(0));
  auto store = Open(kind);
  const std::string fleet = Fleet("renew");
  std::vector<uint32_t> shards;
  for (uint32_t s = 0; s < n; ++s) shards.push_back(s);
  auto got = store->AcquireMany(fleet, shards, "agent", 3600s);
  if (!got.ok()) {
    state.SkipWithError(got.error().ToString().c_str());
    return;
  }
  std::vector<ShardToken> held;
  for (const auto& l : *got) held.push_back({l->shard, l->token});
  for (auto _ : state) {
    auto r = store->RenewMany(fleet, held, "agent", 3600s);
    Check(r, state);
  }
  state.SetItemsProcessed(state.iterations() * n);
  (void)store->DeleteFleet(fleet);
}

BENCHMARK_CAPTURE(BM_Snapshot, redis, Kind::kRedis)
    ->Arg(1000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Snapshot, postgres, Kind::kPostgres)
    ->Arg(1000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LeaseCycle, redis, Kind::kRedis)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK_CAPTURE(BM_LeaseCycle, postgres, Kind::kPostgres)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK_CAPTURE(BM_RenewBatch, redis, Kind::kRedis)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_RenewBatch, postgres, Kind::kPostgres)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace agentfleet::sources::lease

BENCHMARK_MAIN();
