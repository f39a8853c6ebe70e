// Throughput of the workqueue's hot path: Add, Get, Done.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "controller/kube/workqueue/workqueue.h"
#include "controller/obs/metrics.h"

namespace agentfleet::kube::workqueue {
namespace {

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (int i = 0; i < n; ++i)
    keys.push_back("namespace-" + std::to_string(i % 50) + "/fleet-" + std::to_string(i));
  return keys;
}

// One key through the whole cycle per iteration; range(0) distinct keys in turn.
void BM_AddGetDone(benchmark::State& state, bool metrics) {
  obs::Registry registry;
  WorkQueue q({.name = "bench", .metrics = metrics ? &registry : nullptr});
  auto keys = Keys(static_cast<int>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& k = keys[i++ % keys.size()];
    q.Add(k);
    auto got = q.TryGet();
    q.Done(*got);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_AddGetDone, no_metrics, false)->Arg(1000);
BENCHMARK_CAPTURE(BM_AddGetDone, with_metrics, true)->Arg(1000);

// A backlog: range(0) keys added, then all taken and done.
void BM_Backlog(benchmark::State& state) {
  WorkQueue q({.name = "bench"});
  auto keys = Keys(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    for (const auto& k : keys) q.Add(k);
    while (auto k = q.TryGet()) q.Done(*k);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Backlog)->Arg(10'000);

// The same key added again and again before a worker takes it (an event storm
// on one fleet): every Add after the first is de-duplicated.
void BM_DedupedAdd(benchmark::State& state) {
  WorkQueue q({.name = "bench"});
  const std::string key = "shop/eu";
  for (auto _ : state) q.Add(key);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DedupedAdd);

// Several threads hammering one queue, each cycling its own keys.
void BM_Contended(benchmark::State& state) {
  static WorkQueue* q = nullptr;
  if (state.thread_index() == 0) q = new WorkQueue({.name = "bench"});
  auto keys = Keys(256);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 64;
  for (auto _ : state) {
    q->Add(keys[i++ % keys.size()]);
    if (auto got = q->TryGet()) q->Done(*got);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // The loop ends with a barrier: the other threads no longer touch the queue.
    delete q;
    q = nullptr;
  }
}
BENCHMARK(BM_Contended)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace agentfleet::kube::workqueue

BENCHMARK_MAIN();
