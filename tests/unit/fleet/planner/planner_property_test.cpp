// Property tests of the whole planner over thousands of random, reproducible
// histories of one fleet: scale events (manual and autoscaled), pods that
// disappear or turn not-ready, agents that take, renew, release or lose their
// leases, lease snapshots that fail, and time passing. After every pass:
//   - balance: assignable pods' shard counts differ by at most one (Ready
//     pods, pods created this pass and pods not Ready for less than
//     kStartLeaseDurations since their creation are assignable);
//   - moves == S − [Σ min(c_i, q) + min(r, #{c_i > q})], recomputed here;
//   - no shard assigned to two pods; every shard assigned when a pod can take it;
//   - a retiring pod is deleted only when it holds no valid lease or its drain
//     timeout has passed;
//   - new names are never those of a present pod or of a valid lease holder.
// Every sequence has its own seed, printed on failure. AGENTFLEET_PLANNER_SEED
// replays one sequence.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "controller/fleet/planner/assigner.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/planner/retirement.h"

namespace agentfleet::fleet::planner {
namespace {

constexpr Seconds kLeaseDuration(15);
constexpr Seconds kDrainTimeout(120);

struct Lease {
  std::string holder;
  Time expiry;
};

struct World {
  std::mt19937 rng;
  uint32_t shards;
  std::vector<PodView> pods;
  std::map<uint32_t, Lease> leases;
  std::set<std::string> crashed;  // agents that stopped renewing (process hung)
  Time now = Time{} + Seconds(1'800'000'000);
  PlannerState state;
  int32_t current = 0;
  int32_t manual = 0;
  bool autoscaled = false;
  AutoscalingPolicy policy;
  int64_t depth = 0;

  explicit World(uint32_t seed) : rng(seed) {
    shards = Pick(1, 4) == 1 ? Pick(1, 8) : Pick(1, 400);
    autoscaled = Pick(0, 1);
    policy.min_replicas = Pick(0, 2);
    policy.max_replicas = Pick(1, 40);
    policy.target_queue_depth_per_agent = Pick(1, 100);
    policy.activation_queue_depth = Pick(0, 20);
    policy.behavior.scale_down.stabilization_window_seconds = Pick(0, 1) ? 0 : 60;
    if (Pick(0, 1)) policy.fallback = FallbackPolicy{Pick(1, 3), Pick(0, 10)};
  }

  int Pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool Chance(int percent) { return Pick(1, 100) <= percent; }

  bool Valid(const Lease& l) const { return l.expiry > now; }

  uint64_t ValidLeasesHeldBy(const std::string& pod) const {
    uint64_t n = 0;
    for (const auto& [s, l] : leases) n += Valid(l) && l.holder == pod;
    return n;
  }

  PlanInput Observe() {
    PlanInput in;
    in.fleet = "f";
    in.shards = shards;
    if (autoscaled) in.autoscaling = policy;
    in.manual_replicas = manual;
    in.current_replicas = current;
    in.paused = Chance(3);
    if (!Chance(10)) in.queue_depth = depth;
    in.pods = pods;
    std::shuffle(in.pods.begin(), in.pods.end(), rng);  // the plan must not depend on it
    if (!Chance(5)) {
      in.leases.emplace();
      for (const auto& [s, l] : leases) in.leases->push_back({s, l.holder, Valid(l)});
    }
    in.lease_duration = kLeaseDuration;
    in.drain_timeout = kDrainTimeout;
    in.now = now;
    return in;
  }

  // The world between two passes: the user, the kubelet and the agents.
  void Perturb() {
    switch (Pick(0, 9)) {
      case 0:
        manual = Pick(0, 30);
        break;
      case 1:
        depth = Pick(0, 3) == 0 ? 0 : Pick(0, 3000);
        break;
      case 2:  // a pod disappears (deleted by hand, node lost); its leases live on
        if (!pods.empty()) pods.erase(pods.begin() + Pick(0, static_cast<int>(pods.size()) - 1));
        break;
      case 3:  // a pod turns not-ready
        if (!pods.empty()) pods[Pick(0, static_cast<int>(pods.size()) - 1)].ready = false;
        break;
      case 4:  // an agent hangs: it keeps its leases until they expire
        if (!pods.empty()) crashed.insert(pods[Pick(0, static_cast<int>(pods.size()) - 1)].name);
        break;
      default:
        break;
    }
    for (auto& p : pods) {
      if (!p.ready && Chance(60)) p.ready = true;
    }
    now += Seconds(Pick(1, 40));
    std::map<std::string, std::set<uint32_t>> agents;  // live agents and their shards
    for (const auto& p : pods) {
      if (!crashed.contains(p.name)) agents[p.name].insert(p.assigned.begin(), p.assigned.end());
    }
    for (auto it = leases.begin(); it != leases.end();) {
      auto agent = agents.find(it->second.holder);
      if (agent == agents.end() || !Valid(it->second)) {
        ++it;
      } else if (!agent->second.contains(it->first)) {
        it = Chance(70) ? leases.erase(it) : std::next(it);  // released after the hand-off
      } else {
        if (Chance(90)) it->second.expiry = now + kLeaseDuration;  // renewed
        ++it;
      }
    }
    for (const auto& p : pods) {
      if (crashed.contains(p.name) || !p.ready || p.retiring) continue;
      for (uint32_t s : p.assigned) {
        auto it = leases.find(s);
        if ((it == leases.end() || !Valid(it->second)) && Chance(80)) {
          leases[s] = {p.name, now + kLeaseDuration};
        }
      }
    }
  }

  void Apply(const Plan& plan) {
    current = plan.scale.desired;
    state = plan.next_state;
    std::map<std::string, const PodAssignment*> by_name;
    for (const auto& a : plan.assignments) by_name[a.pod] = &a;
    for (auto& p : pods) p.assigned = by_name.at(p.name)->shards;
    for (const auto& r : plan.retire) {
      for (auto& p : pods) {
        if (p.name == r.pod) {
          p.retiring = true;
          p.retiring_since = now;
        }
      }
    }
    for (const auto& d : plan.remove) {
      std::erase_if(pods, [&](const PodView& p) { return p.name == d.pod; });
      crashed.erase(d.pod);
    }
    for (const auto& a : plan.create_assignments) {
      pods.push_back({.name = a.pod, .created_at = now, .assigned = a.shards});
    }
  }
};

// Checks one plan against the input it was made from.
void CheckPlan(const World& w, const PlanInput& in, const Plan& plan) {
  std::map<std::string, const PodView*> before;
  for (const auto& p : in.pods) before[p.name] = &p;
  std::set<std::string> newly_retired;
  for (const auto& r : plan.retire) {
    ASSERT_TRUE(before.contains(r.pod));
    ASSERT_FALSE(before.at(r.pod)->retiring) << r.pod << " retired twice";
    newly_retired.insert(r.pod);
  }

  ASSERT_EQ(plan.assignments.size(), in.pods.size());
  ASSERT_EQ(plan.create_assignments.size(), plan.create.size());
  // Who may take shards: Ready pods, and pods created now or not Ready for
  // less than kStartLeaseDurations ("starting"); no pod is outdated here.
  enum Kind { kNone, kReady, kStarting };
  std::map<std::string, Kind> kind;
  std::map<std::string, std::set<uint32_t>> annotated;
  size_t live = 0;
  for (const auto& p : in.pods) {
    const bool retiring = p.retiring || newly_retired.contains(p.name);
    if (!retiring) ++live;
    const bool starting = !p.ready && in.now - p.created_at < kStartLeaseDurations * kLeaseDuration;
    kind[p.name] = retiring ? kNone : p.ready ? kReady : starting ? kStarting : kNone;
    annotated[p.name] = {p.assigned.begin(), p.assigned.end()};
  }
  // A shard in several claims is, to the assigner, the pod's it was lent to,
  // else the first starting pod's in the planner's order (index, then name).
  std::vector<const PodView*> ordered;
  for (const auto& p : in.pods) ordered.push_back(&p);
  auto index = [](const std::string& name) { return std::stoi(name.substr(2)); };
  std::sort(ordered.begin(), ordered.end(), [&](const PodView* a, const PodView* b) {
    return std::pair(index(a->name), a->name) < std::pair(index(b->name), b->name);
  });
  std::map<uint32_t, std::string> winner;
  for (const PodView* p : ordered) {
    if (kind[p->name] == kNone) continue;
    for (uint32_t s : p->assigned) {
      auto loan = w.state.lent.find(s);
      const bool lent_here = loan != w.state.lent.end() && loan->second == p->name;
      if (lent_here) {
        winner[s] = p->name;
      } else if (kind[p->name] == kStarting && !winner.contains(s)) {
        winner[s] = p->name;
      }
    }
  }
  std::vector<const PodAssignment*> all;
  for (const auto& a : plan.assignments) all.push_back(&a);
  for (size_t j = 0; j < plan.create.size(); ++j) {
    ASSERT_EQ(plan.create_assignments[j].pod, plan.create[j]);
    kind[plan.create[j]] = kStarting;
    all.push_back(&plan.create_assignments[j]);
  }
  // A shard is in one pod's set, or in two: a starting pod's, and, lent
  // until that pod is Ready, the set of the Ready pod whose annotation has it.
  std::vector<std::vector<const PodAssignment*>> holders(in.shards);
  for (const PodAssignment* a : all) {
    ASSERT_TRUE(std::is_sorted(a->shards.begin(), a->shards.end()));
    if (kind[a->pod] == kNone) {
      ASSERT_TRUE(a->shards.empty()) << a->pod << " is not assignable but got shards";
    }
    for (uint32_t s : a->shards) {
      ASSERT_LT(s, in.shards);
      holders[s].push_back(a);
    }
  }
  std::map<std::string, std::set<uint32_t>> owned;  // the assigner's sets, loans aside
  for (uint32_t s = 0; s < in.shards; ++s) {
    ASSERT_LE(holders[s].size(), 2u) << "shard " << s << " assigned three times";
    if (holders[s].size() == 2) {
      const PodAssignment* a = holders[s][0];
      const PodAssignment* b = holders[s][1];
      if (kind[a->pod] != kReady) std::swap(a, b);
      ASSERT_EQ(kind[a->pod], kReady) << "shard " << s << " assigned twice";
      ASSERT_EQ(kind[b->pod], kStarting) << "shard " << s << " assigned twice";
      ASSERT_TRUE(annotated[a->pod].contains(s)) << "shard " << s << " lent by a pod without it";
      owned[b->pod].insert(s);
    } else if (holders[s].size() == 1) {
      owned[holders[s][0]->pod].insert(s);
    }
  }
  std::vector<uint64_t>
      counts_before;  // c_i of the pods that take shards, as the assigner saw them
  uint64_t lo = UINT64_MAX, hi = 0, moves = 0;
  size_t assignable = 0;
  for (const PodAssignment* a : all) {
    if (kind[a->pod] == kNone) continue;
    ++assignable;
    std::set<uint32_t> claims = annotated[a->pod];
    std::erase_if(claims, [&](uint32_t s) { return winner.contains(s) && winner[s] != a->pod; });
    counts_before.push_back(claims.size());
    const std::set<uint32_t>& mine = owned[a->pod];
    lo = std::min<uint64_t>(lo, mine.size());
    hi = std::max<uint64_t>(hi, mine.size());
    for (uint32_t s : mine) moves += !claims.contains(s);
  }
  if (assignable > 0) {
    ASSERT_LE(hi - lo, 1u) << "unbalanced";
    for (uint32_t s = 0; s < in.shards; ++s) ASSERT_FALSE(holders[s].empty()) << "shard " << s;
  }
  ASSERT_EQ(moves, plan.moves);
  ASSERT_EQ(moves, MinimumMoves(in.shards, counts_before)) << "not the minimum";
  ASSERT_EQ(plan.minimum_moves, plan.moves);

  ASSERT_EQ(live + plan.create.size(), static_cast<size_t>(plan.scale.desired));
  ASSERT_LE(plan.scale.desired, static_cast<int32_t>(in.shards));
  for (const auto& name : plan.create) {
    ASSERT_FALSE(before.contains(name)) << "reused the name of present pod " << name;
    ASSERT_EQ(w.ValidLeasesHeldBy(name), 0u) << "reused the name of lease holder " << name;
  }

  for (const auto& d : plan.remove) {
    const PodView& p = *before.at(d.pod);
    ASSERT_TRUE(p.retiring || newly_retired.contains(d.pod)) << d.pod << " deleted unretired";
    const Time since = p.retiring ? p.retiring_since : in.now;
    if (w.ValidLeasesHeldBy(d.pod) > 0) {
      ASSERT_GE(in.now - since, kDrainTimeout) << d.pod << " deleted holding a lease";
    }
  }

  const ShardCounts& c = plan.shards;
  ASSERT_EQ(c.total, in.shards);
  ASSERT_EQ(c.assigned, assignable > 0 ? in.shards : 0u);
  if (c.leases_known) {
    ASSERT_EQ(c.held + c.moving + c.unowned, c.total);
  }
  ASSERT_EQ(plan.conditions.size(), 4u);
}

uint32_t BaseSeed() {
  const char* env = std::getenv("AGENTFLEET_PLANNER_SEED");
  return env ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : 20261128u;
}

TEST(PlannerProperty, RandomHistoriesKeepEveryInvariant) {
  const bool replay = std::getenv("AGENTFLEET_PLANNER_SEED") != nullptr;
  const uint32_t sequences = replay ? 1 : 3000;
  size_t plans = 0, scale_events = 0, deletions = 0;
  for (uint32_t k = 0; k < sequences; ++k) {
    const uint32_t seed = BaseSeed() + k;
    World w(seed);
    const int steps = w.Pick(10, 60);
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " (AGENTFLEET_PLANNER_SEED=" +
                   std::to_string(seed) + " replays it), step " + std::to_string(step));
      const PlanInput in = w.Observe();
      const Plan plan = MakePlan(in, w.state);
      CheckPlan(w, in, plan);
      if (testing::Test::HasFatalFailure()) return;
      ++plans;
      scale_events += plan.scale.desired != plan.scale.current;
      deletions += plan.remove.size();
      w.Apply(plan);
      w.Perturb();
    }
  }
  if (!replay) {  // the histories must actually exercise the planner
    EXPECT_GT(plans, 50'000u);
    EXPECT_GT(scale_events, 5'000u);
    EXPECT_GT(deletions, 5'000u);
  }
  std::cout << plans << " plans, " << scale_events << " scale events, " << deletions
            << " deletions\n";
}

// The same input gives the same plan, whatever the order of the pods.
TEST(PlannerProperty, PlansAreDeterministic) {
  for (uint32_t k = 0; k < 300; ++k) {
    const uint32_t seed = BaseSeed() + 100'000 + k;
    SCOPED_TRACE("seed " + std::to_string(seed));
    World w(seed);
    for (int step = 0; step < 20; ++step) {
      PlanInput in = w.Observe();
      const Plan a = MakePlan(in, w.state);
      std::reverse(in.pods.begin(), in.pods.end());
      const Plan b = MakePlan(in, w.state);
      ASSERT_EQ(a.create, b.create);
      ASSERT_EQ(a.assignments.size(), b.assignments.size());
      for (size_t i = 0; i < a.assignments.size(); ++i) {
        ASSERT_EQ(a.assignments[i].pod, b.assignments[i].pod);
        ASSERT_EQ(a.assignments[i].shards, b.assignments[i].shards);
      }
      ASSERT_EQ(a.next_state.autoscaler, b.next_state.autoscaler);
      w.Apply(a);
      w.Perturb();
    }
  }
}

}  // namespace
}  // namespace agentfleet::fleet::planner
