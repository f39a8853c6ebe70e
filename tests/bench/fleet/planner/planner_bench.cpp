// The planner at S = 100,000 shards over N = 10,000 pods: time per plan
// (goal <= 20 ms) for a converged fleet and for scale events, and moves per
// minimum over a sequence of scale events (goal exactly 1.00).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <unordered_map>

#include "controller/fleet/planner/assigner.h"
#include "controller/fleet/planner/planner.h"

namespace agentfleet::fleet::planner {
namespace {

constexpr uint32_t kShards = 100'000;
constexpr uint32_t kPods = 10'000;

Time At(int seconds) {
  return Time{} + Seconds(1'800'000'000 + seconds);
}

// `ready` pods holding a balanced, converged assignment (and every lease),
// plus `fresh` new Ready pods holding nothing; spec.replicas = `replicas`.
PlanInput Fleet(uint32_t ready, uint32_t fresh, int32_t replicas) {
  PlanInput in;
  in.fleet = "bench";
  in.shards = kShards;
  in.manual_replicas = replicas;
  in.current_replicas = static_cast<int32_t>(ready);
  in.now = At(1000);
  in.leases.emplace();
  in.leases->reserve(kShards);
  const uint32_t q = kShards / ready, r = kShards % ready;
  uint32_t next = 0;
  for (uint32_t i = 0; i < ready + fresh; ++i) {
    PodView pod{.name = "bench-" + std::to_string(i), .ready = true, .created_at = At(i)};
    if (i < ready) {
      for (uint32_t k = 0; k < q + (i < r ? 1 : 0); ++k) {
        pod.assigned.push_back(next);
        in.leases->push_back({next, pod.name, true});
        ++next;
      }
    }
    in.pods.push_back(std::move(pod));
  }
  return in;
}

void Run(benchmark::State& state, const PlanInput& in) {
  uint64_t moves = 0;
  for (auto _ : state) {
    Plan plan = MakePlan(in, {});
    moves = plan.moves;
    benchmark::DoNotOptimize(plan);
  }
  state.counters["moves"] = static_cast<double>(moves);
}

void BM_PlanConverged(benchmark::State& state) {
  Run(state, Fleet(kPods, 0, kPods));
}
void BM_PlanScaleDown10Percent(benchmark::State& state) {
  Run(state, Fleet(kPods, 0, kPods * 9 / 10));
}
void BM_PlanScaleUp10Percent(benchmark::State& state) {
  Run(state, Fleet(kPods * 9 / 10, kPods / 10, kPods));
}
void BM_PlanCreate1000Pods(benchmark::State& state) {
  Run(state, Fleet(kPods * 9 / 10, 0, kPods));
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// A history of 40 scale events (spec.replicas between 5,000 and 10,000) and
// pod failures on the full-size fleet, applying each plan; moves are counted
// here from the assignments, independently of the planner's own count.
void BM_MovesOverMinimum(benchmark::State& state) {
  std::vector<double> ratios, plan_ms;
  double worst = 0, best = 1e9;
  uint64_t total_moves = 0, total_minimum = 0;
  for (auto _ : state) {
    std::mt19937 rng(7);
    PlanInput in = Fleet(kPods, 0, kPods);
    PlannerState ps;
    for (int event = 0; event < 40; ++event) {
      // Perturb: a scale event, or a few pods fail.
      if (event % 4 == 3) {
        for (int k = 0; k < 50 && !in.pods.empty(); ++k) {
          in.pods.erase(in.pods.begin() + rng() % in.pods.size());
        }
      } else {
        in.manual_replicas = 5'000 + static_cast<int32_t>(rng() % 5'001);
      }
      // Agents: the owner of each shard holds its lease.
      in.leases->clear();
      for (const auto& p : in.pods) {
        for (uint32_t s : p.assigned) in.leases->push_back({s, p.name, true});
      }
      in.now += Seconds(15);

      const auto t0 = std::chrono::steady_clock::now();
      Plan plan = MakePlan(in, ps);
      const auto t1 = std::chrono::steady_clock::now();
      plan_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());

      std::vector<uint64_t> counts;
      uint64_t moves = 0;
      std::unordered_map<std::string, const PodView*> before;
      for (const auto& p : in.pods) before[p.name] = &p;
      std::set<std::string> retiring;
      for (const auto& r : plan.retire) retiring.insert(r.pod);
      for (const auto& a : plan.assignments) {
        const PodView& p = *before.at(a.pod);
        if (!p.ready || p.retiring || retiring.contains(a.pod)) continue;
        counts.push_back(p.assigned.size());
        std::vector<uint32_t> old = p.assigned;
        std::sort(old.begin(), old.end());
        for (uint32_t s : a.shards) moves += !std::binary_search(old.begin(), old.end(), s);
      }
      const uint64_t minimum = MinimumMoves(kShards, counts);
      const double ratio = minimum == 0 ? (moves == 0 ? 1.0 : 1e9)
                                        : static_cast<double>(moves) / static_cast<double>(minimum);
      ratios.push_back(ratio);
      worst = std::max(worst, ratio);
      best = std::min(best, ratio);
      total_moves += moves;
      total_minimum += minimum;

      // Apply: new assignments; marked pods retire and, leases released, go;
      // created pods come up Ready by the next pass.
      std::unordered_map<std::string, const PodAssignment*> by_name;
      for (const auto& a : plan.assignments) by_name[a.pod] = &a;
      for (auto& p : in.pods) p.assigned = by_name.at(p.name)->shards;
      for (auto& p : in.pods) {
        if (retiring.contains(p.name)) {
          p.retiring = true;
          p.retiring_since = in.now;
        }
      }
      std::erase_if(in.pods, [&](const PodView& p) { return p.retiring && p.assigned.empty(); });
      for (const auto& name : plan.create) {
        in.pods.push_back({.name = name, .ready = true, .created_at = in.now});
      }
      in.current_replicas = plan.scale.desired;
      ps = plan.next_state;
    }
  }
  state.counters["moves_per_minimum_median"] = Median(ratios);
  state.counters["moves_per_minimum_min"] = best;
  state.counters["moves_per_minimum_max"] = worst;
  state.counters["moves_total"] = static_cast<double>(total_moves);
  state.counters["minimum_total"] = static_cast<double>(total_minimum);
  state.counters["plan_ms_median"] = Median(plan_ms);
  state.counters["plan_ms_max"] = *std::max_element(plan_ms.begin(), plan_ms.end());
}

BENCHMARK(BM_PlanConverged)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanScaleDown10Percent)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanScaleUp10Percent)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanCreate1000Pods)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MovesOverMinimum)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace agentfleet::fleet::planner

BENCHMARK_MAIN();
