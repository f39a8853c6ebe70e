// Rolling updates through the whole planner: a fleet whose template changes
// is replaced pod by pod within maxSurge and maxUnavailable, each shard
// handed over once; a revision whose pods never turn Ready stops the rollout
// with the old pods still serving, and a revert or a newer template
// supersedes it. The agents here cooperate at once (a lease released as soon
// as its shard is assigned elsewhere, taken as soon as it is assigned), so a
// rollout's shard moves are exactly what the planner asked for.
#include "controller/fleet/planner/rollout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "controller/fleet/planner/planner.h"

namespace agentfleet::fleet::planner {
namespace {

struct Fleet {
  uint32_t shards;
  int32_t replicas;
  RolloutPolicy policy;
  int revision = 1;               // the template's
  std::map<std::string, int> of;  // pod -> the revision it was made from
  std::set<int> bad;              // revisions whose pods never turn Ready
  std::set<int> deaf;             // revisions whose agents never take a lease
  std::vector<PodView> pods;
  std::map<uint32_t, std::string> holder;  // shard -> lease holder
  PlannerState state;
  int32_t current = 0;  // the last desired count
  Time now = Time{} + Seconds(1'800'000'000);
  uint64_t moves = 0;
  std::map<uint32_t, int> moved;  // shard -> hand-overs since the last ResetMoves
  int32_t max_live = 0;           // most pods not retiring after any pass
  int32_t max_present = 0;        // most pods, retiring ones included, after any pass
  int lag = 0;                    // passes an agent keeps a lease assigned elsewhere
  std::optional<AutoscalingPolicy> autoscaling;  // else `replicas`
  int64_t depth = 0;                             // the queue's, when autoscaled
  std::map<uint32_t, int> kept;                  // shard -> passes its holder has kept it so
  int32_t min_ready_holding = 1 << 30;

  Fleet(uint32_t s, int32_t n, RolloutPolicy p) : shards(s), replicas(n), policy(p) {}

  PlanInput Observe() {
    PlanInput in;
    in.fleet = "f";
    in.shards = shards;
    in.manual_replicas = replicas;
    in.current_replicas = current;
    in.autoscaling = autoscaling;
    in.queue_depth = depth;
    in.pods = pods;
    for (auto& p : in.pods) p.outdated = of.at(p.name) != revision;
    in.leases.emplace();
    for (const auto& [s, h] : holder) in.leases->push_back({s, h, true});
    in.rollout = policy;
    in.update_revision = "r" + std::to_string(revision);
    in.progress_deadline = Seconds(600);
    in.now = now;
    return in;
  }

  Plan Pass() {
    const Plan plan = MakePlan(Observe(), state);
    state = plan.next_state;
    current = plan.scale.desired;
    std::map<std::string, const PodAssignment*> by_name;
    for (const auto& a : plan.assignments) by_name[a.pod] = &a;
    for (auto& p : pods) p.assigned = by_name.at(p.name)->shards;
    for (const auto& r : plan.retire) {
      for (auto& p : pods) {
        if (p.name == r.pod && !p.retiring) {
          p.retiring = true;
          p.retiring_since = now;
        }
      }
    }
    for (const auto& d : plan.remove) {
      std::erase_if(pods, [&](const PodView& p) { return p.name == d.pod; });
    }
    for (const auto& name : plan.create) {
      pods.push_back({.name = name, .created_at = now});
      of[name] = revision;
    }
    int32_t live = 0, ready_holding = 0;
    for (const auto& p : pods) {
      if (p.retiring) continue;
      ++live;
      ready_holding += p.ready && !p.assigned.empty();
    }
    max_live = std::max(max_live, live);
    max_present = std::max(max_present, static_cast<int32_t>(pods.size()));
    min_ready_holding = std::min(min_ready_holding, ready_holding);
    Agents();
    now += Seconds(10);
    return plan;
  }

  // Cooperating agents: a shard assigned elsewhere is released, then taken
  // by its new owner; a new pod turns Ready unless its revision is bad.
  void Agents() {
    std::map<uint32_t, std::string> owner;
    for (const auto& p : pods) {
      for (uint32_t s : p.assigned) owner[s] = p.name;
    }
    for (uint32_t s = 0; s < shards; ++s) {
      auto o = owner.find(s);
      if (o == owner.end()) continue;
      auto h = holder.find(s);
      if (deaf.contains(of.at(o->second))) {
        if (h != holder.end() && h->second != o->second) holder.erase(h);  // released, not taken
        continue;
      }
      if (h != holder.end() && h->second != o->second && kept[s]++ < lag) continue;
      kept.erase(s);
      if (h != holder.end() && h->second != o->second) {
        ++moves;
        ++moved[s];
      }
      holder[s] = o->second;
    }
    for (auto& p : pods) {
      if (!p.ready && !bad.contains(of.at(p.name))) p.ready = true;
    }
  }

  int32_t Outdated() const {
    int32_t n = 0;
    for (const auto& p : pods) n += !p.retiring && of.at(p.name) != revision;
    return n;
  }

  // Nothing under way: every pod Ready, none retiring, at least the desired
  // count, shards balanced and each held by the pod it is assigned to.
  bool Calm() const {
    if (!kept.empty() || static_cast<int32_t>(pods.size()) < current) return false;
    size_t lo = SIZE_MAX, hi = 0;
    for (const auto& p : pods) {
      if (!p.ready || p.retiring) return false;
      lo = std::min(lo, p.assigned.size());
      hi = std::max(hi, p.assigned.size());
      for (uint32_t s : p.assigned) {
        auto h = holder.find(s);
        if (h == holder.end() || h->second != p.name) return false;
      }
    }
    return hi <= lo + 1;
  }

  int32_t Surge() const { return ResolveLimits(policy, replicas).max_surge; }
  int32_t Unavailable() const { return ResolveLimits(policy, replicas).max_unavailable; }

  void Settle() {
    for (int i = 0; i < 10; ++i) Pass();
  }
  void ResetMoves() {
    moves = 0;
    moved.clear();
    max_live = 0;
    max_present = 0;
    min_ready_holding = 1 << 30;
  }
};

const Condition* Find(const Plan& plan, const std::string& type) {
  for (const auto& c : plan.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST(ResolveLimits, RoundsAsADeployment) {
  EXPECT_EQ(ResolveLimits({}, 4).max_surge, 1);  // 25 % of 4
  EXPECT_EQ(ResolveLimits({}, 5).max_surge, 2);  // 25 % of 5, rounded up
  EXPECT_EQ(ResolveLimits({}, 5).max_unavailable, 0);
  RolloutPolicy p{.max_surge = {0, false}, .max_unavailable = {30, true}};
  EXPECT_EQ(ResolveLimits(p, 5).max_unavailable, 1);  // 30 % of 5, rounded down
  p.max_unavailable = {10, true};
  EXPECT_EQ(ResolveLimits(p, 5).max_unavailable, 1) << "both 0: one may be missing";
  EXPECT_EQ(ResolveLimits(p, 5).max_surge, 0);
}

struct Shape {
  uint32_t shards;
  int32_t replicas;
  RolloutPolicy policy;
};

// The goal of issue 12: a rollout moves every shard exactly once, never runs
// more than desired + maxSurge pods, never fewer Ready shard holders than
// desired - maxUnavailable.
TEST(Rollout, EveryShardMovesOnceWithinTheLimits) {
  const std::vector<Shape> shapes = {
      {16, 4, {}},
      {64, 4, {}},
      {100, 7, {}},
      {12, 1, {}},
      {64, 10, {.max_surge = {3, false}}},
      {64, 8, {.max_surge = {0, false}, .max_unavailable = {1, false}}},
      {64, 8, {.max_surge = {50, true}, .max_unavailable = {25, true}}},
      {256, 16, {.max_surge = {100, true}}},
  };
  for (const auto& shape : shapes) {
    SCOPED_TRACE(std::to_string(shape.shards) + " shards, " + std::to_string(shape.replicas) +
                 " pods, surge " + std::to_string(shape.policy.max_surge.value) +
                 (shape.policy.max_surge.percent ? "%" : "") + ", unavailable " +
                 std::to_string(shape.policy.max_unavailable.value) +
                 (shape.policy.max_unavailable.percent ? "%" : ""));
    Fleet f(shape.shards, shape.replicas, shape.policy);
    f.Settle();
    ASSERT_EQ(f.holder.size(), shape.shards);
    f.ResetMoves();
    f.revision = 2;
    int passes = 0;
    uint64_t rolling_moves = 0;  // what agentfleet_rollout_shard_moves_total adds
    while (f.Outdated() > 0 && passes < 200) {
      const Plan plan = f.Pass();
      if (plan.rolling) rolling_moves += plan.moves;
      ++passes;
    }
    ASSERT_EQ(f.Outdated(), 0) << "the rollout did not finish";
    f.Settle();
    for (const auto& p : f.pods) EXPECT_EQ(f.of.at(p.name), 2) << p.name;
    EXPECT_EQ(static_cast<int32_t>(f.pods.size()), shape.replicas);
    if (f.Surge() > 0) {
      EXPECT_EQ(f.moves, shape.shards) << "shard moves per rollout";
      EXPECT_EQ(rolling_moves, shape.shards) << "as the planner counts them";
      for (uint32_t s = 0; s < shape.shards; ++s) EXPECT_EQ(f.moved[s], 1) << "shard " << s;
    } else {
      // Without a surge an old pod goes before its replacement exists.
      EXPECT_LE(f.moves, 2 * shape.shards) << "shard moves per rollout";
    }
    EXPECT_LE(f.max_live, shape.replicas + f.Surge());
    EXPECT_GE(f.min_ready_holding, shape.replicas - f.Unavailable());
  }
}

// Agents that take a few passes to let a lease go: the old pods draining
// them are still pods, and count against the surge as the new ones do.
TEST(Rollout, DrainingPodsCountAgainstTheSurge) {
  for (int lag : {1, 2, 4}) {
    for (const Shape& shape : std::vector<Shape>{{16, 4, {}},
                                                 {64, 10, {.max_surge = {3, false}}},
                                                 {64, 8, {.max_surge = {50, true}}}}) {
      SCOPED_TRACE(std::to_string(shape.replicas) + " pods, lag " + std::to_string(lag));
      Fleet f(shape.shards, shape.replicas, shape.policy);
      f.lag = lag;
      f.Settle();
      f.ResetMoves();
      f.revision = 2;
      for (int i = 0; i < 300 && f.Outdated() > 0; ++i) f.Pass();
      ASSERT_EQ(f.Outdated(), 0) << "the rollout did not finish";
      f.Settle();
      EXPECT_LE(f.max_present, shape.replicas + f.Surge()) << "draining pods past the surge";
      EXPECT_EQ(f.moves, shape.shards) << "shard moves per rollout";
      EXPECT_GE(f.min_ready_holding, shape.replicas - f.Unavailable());
      EXPECT_EQ(static_cast<int32_t>(f.pods.size()), shape.replicas);
    }
  }
}

TEST(Rollout, ABadRevisionStopsWithTheOldPodsServingAndARevertCompletes) {
  Fleet f(16, 4, {});
  f.Settle();
  f.ResetMoves();
  f.revision = 2;
  f.bad.insert(2);
  Plan plan;
  for (int i = 0; i < 70; ++i) plan = f.Pass();  // 700 s > the 600 s deadline
  EXPECT_EQ(f.moves, 0u) << "no shard left an old pod";
  EXPECT_EQ(f.Outdated(), 4);
  EXPECT_LE(f.max_live, 5) << "one surge pod, not more";
  const Condition* progressing = Find(plan, "Progressing");
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->status, ConditionStatus::kFalse);
  EXPECT_EQ(progressing->reason, "ProgressDeadlineExceeded");
  EXPECT_NE(progressing->message.find("0 of 4 pods of the new template Ready, 4 old pods left"),
            std::string::npos)
      << progressing->message;

  // The Event is sent once, at the deadline.
  size_t events = 0;
  Fleet g(16, 4, {});
  g.Settle();
  g.revision = 2;
  g.bad.insert(2);
  for (int i = 0; i < 100; ++i) {
    for (const auto& e : g.Pass().events) events += e.reason == "ProgressDeadlineExceeded";
  }
  EXPECT_EQ(events, 1u);

  // A GitOps revert: the old pods are current again, the stuck new one goes.
  f.revision = 1;
  plan = f.Pass();
  f.Settle();
  EXPECT_EQ(f.Outdated(), 0);
  EXPECT_EQ(f.pods.size(), 4u);
  for (const auto& p : f.pods) EXPECT_EQ(f.of.at(p.name), 1);
  EXPECT_EQ(f.moves, 0u);
  EXPECT_EQ(Find(f.Pass(), "Progressing")->reason, "Converged");
}

// Pods that turn Ready but whose agents never take their leases: one step's
// shards go dark until the operator finds the agents stuck, then they go
// back to the old pods, no other old pod is given up, and the deadline says so.
TEST(Rollout, ARevisionWhoseAgentsTakeNoLeaseDarkensOneStepAtMost) {
  Fleet f(16, 4, {});
  f.Settle();
  f.ResetMoves();
  f.revision = 2;
  f.deaf.insert(2);
  std::set<std::string> old_names;
  for (const auto& p : f.pods) old_names.insert(p.name);
  size_t most_dark = 0;
  Plan plan;
  for (int i = 0; i < 80; ++i) {  // 800 s: stuck after 3 lease durations, then the deadline
    plan = f.Pass();
    size_t held = 0;
    for (const auto& [s, h] : f.holder) held += old_names.contains(h);
    most_dark = std::max(most_dark, size_t{16} - held);
  }
  EXPECT_LE(most_dark, 4u) << "more than one old pod's shards went dark";
  size_t old_left = 0;
  for (const auto& p : f.pods) old_left += old_names.contains(p.name) && !p.retiring;
  EXPECT_EQ(old_left, 3u) << "only the first old pod was given up";
  EXPECT_EQ(f.holder.size(), 16u) << "every shard held again";
  for (const auto& [s, h] : f.holder) EXPECT_TRUE(old_names.contains(h)) << s << " held by " << h;
  EXPECT_EQ(Find(plan, "Progressing")->reason, "ProgressDeadlineExceeded");

  // The fix: a template whose agents work rolls the fleet.
  f.revision = 3;
  for (int i = 0; i < 100 && f.Outdated() > 0; ++i) f.Pass();
  f.Settle();
  EXPECT_EQ(f.Outdated(), 0);
  EXPECT_EQ(f.holder.size(), 16u);
}

// A fleet whose queue cannot be read holds its rollout: no surge pod, no old
// pod retired; it goes on once the queue is back.
TEST(Rollout, ASourceFaultHoldsTheRollout) {
  Fleet f(16, 4, {});
  f.Settle();
  f.revision = 2;
  PlanInput in = f.Observe();
  in.queue_depth.reset();
  in.queue_fault = SourceFault{FaultKind::kNotFound, "Secret shop/missing not found"};
  const Plan plan = MakePlan(in, f.state);
  EXPECT_TRUE(plan.create.empty());
  EXPECT_TRUE(plan.retire.empty());
  EXPECT_EQ(Find(plan, "Progressing")->reason, "RolloutHeld");
  for (int i = 0; i < 100 && f.Outdated() > 0; ++i) f.Pass();
  EXPECT_EQ(f.Outdated(), 0);
}

TEST(Rollout, ANewerTemplateMidRolloutSupersedesTheOlderOne) {
  Fleet f(64, 8, {});
  f.Settle();
  f.ResetMoves();
  f.revision = 2;
  f.Pass();
  f.Pass();
  f.Pass();
  ASSERT_GT(f.Outdated(), 0);
  f.revision = 3;
  int passes = 0;
  while (f.Outdated() > 0 && passes++ < 200) f.Pass();
  f.Settle();
  for (const auto& p : f.pods) EXPECT_EQ(f.of.at(p.name), 3);
  EXPECT_LE(f.max_live, 8 + f.Surge());
  EXPECT_GE(f.min_ready_holding, 8);
}

TEST(Rollout, OnDeleteAndPauseReplaceNothing) {
  Fleet f(16, 4, {.on_delete = true});
  f.Settle();
  f.revision = 2;
  f.Settle();
  EXPECT_EQ(f.Outdated(), 4);
  // A pod that goes comes back of the new revision.
  f.pods.erase(f.pods.begin());
  f.Settle();
  EXPECT_EQ(f.Outdated(), 3);
  EXPECT_EQ(f.pods.size(), 4u);
}

// Over random histories (template changes, reverts, scale events by hand or
// by the autoscaler, pods that turn not Ready or vanish, bad revisions,
// agents slow to let go): a pass never creates past desired + maxSurge pods
// (draining ones included) but for pods the fleet is short of, never retires
// a Ready shard holder below desired - maxUnavailable, keeps shards balanced,
// moves each shard at most once per revision change while nothing else
// happens, and once the world calms down every rollout finishes.
TEST(RolloutProperty, RandomHistoriesKeepTheLimitsAndFinish) {
  size_t plans = 0, rollouts_finished = 0, checked_windows = 0;
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const uint32_t shards = static_cast<uint32_t>(pick(1, 128));
    RolloutPolicy policy;
    if (pick(0, 1)) policy.max_surge = {pick(0, 3), false};
    if (pick(0, 1)) policy.max_unavailable = {pick(0, 50), true};
    Fleet f(shards, std::min<int32_t>(pick(1, 12), static_cast<int32_t>(shards)), policy);
    f.lag = pick(0, 3);
    if (pick(0, 1)) {
      AutoscalingPolicy a;
      a.min_replicas = pick(1, 3);
      a.max_replicas = pick(a.min_replicas, 12);
      a.target_queue_depth_per_agent = pick(1, 50);
      f.autoscaling = a;
      f.depth = pick(0, 600);
    }
    f.Settle();
    // A window in which each shard may move once: from a revision change in
    // a calm fleet, while it neither scales nor loses a pod.
    bool clean = false;
    for (int step = 0; step < 60; ++step) {
      switch (pick(0, 9)) {
        case 0:
        case 1:
          f.revision = f.revision + 1;
          if (pick(0, 4) == 0) f.bad.insert(f.revision);
          clean = f.Calm() && !f.bad.contains(f.revision);
          f.moved.clear();
          break;
        case 2:
          f.revision = std::max(1, f.revision - 1);  // a revert
          clean = f.Calm() && !f.bad.contains(f.revision);
          f.moved.clear();
          break;
        case 3:
          if (f.autoscaling) {
            f.depth = pick(0, 600);
          } else {
            f.replicas = std::min<int32_t>(pick(0, 12), static_cast<int32_t>(shards));
          }
          break;
        case 4:
          if (!f.pods.empty()) f.pods[pick(0, static_cast<int>(f.pods.size()) - 1)].ready = false;
          clean = false;
          break;
        case 5:
          if (!f.pods.empty())
            f.pods.erase(f.pods.begin() + pick(0, static_cast<int>(f.pods.size()) - 1));
          clean = false;
          break;
        default:
          break;
      }
      PlanInput in = f.Observe();
      int32_t ready_before = 0;
      for (const auto& p : in.pods) {
        if (!p.retiring) ready_before += p.ready;
      }
      const Plan plan = MakePlan(in, f.state);
      ++plans;
      const int32_t desired = plan.scale.desired;
      if (desired != f.current) clean = false;
      const RolloutLimits limits = ResolveLimits(policy, desired);
      std::set<std::string> retired, removed, stuck(plan.stuck.begin(), plan.stuck.end());
      for (const auto& r : plan.retire) retired.insert(r.pod);
      for (const auto& r : plan.remove) removed.insert(r.pod);
      int32_t live_before = 0, ready_after = 0;
      int32_t present_after = static_cast<int32_t>(plan.create.size());
      for (const auto& p : in.pods) {
        live_before += !p.retiring && !stuck.contains(p.name);
        present_after += !removed.contains(p.name);
        if (p.retiring || retired.contains(p.name)) continue;
        ready_after += p.ready;
      }
      // Pods draining count against the surge; only pods the fleet is short
      // of (a scale-up, pods gone) are made whatever is still draining.
      const int32_t made = static_cast<int32_t>(plan.create.size());
      if (made > 0 && made > desired - live_before) {
        ASSERT_LE(present_after, desired + limits.max_surge) << "past the surge";
      }
      ASSERT_GE(ready_after, std::min(ready_before, desired - limits.max_unavailable))
          << "retired Ready pods below the minimum";
      // A shard lent to a starting pod (lending.h) is in its lender's set
      // too: it counts for the starting pod.
      std::map<uint32_t, int> sets_with;
      for (const auto* list : {&plan.assignments, &plan.create_assignments}) {
        for (const auto& a : *list) {
          for (uint32_t s : a.shards) ++sets_with[s];
        }
      }
      std::map<std::string, bool> ready;
      for (const auto& p : in.pods) ready[p.name] = p.ready;
      uint64_t lo = UINT64_MAX, hi = 0;
      for (const auto* list : {&plan.assignments, &plan.create_assignments}) {
        for (const auto& a : *list) {
          uint64_t count = 0;
          for (uint32_t s : a.shards) count += sets_with[s] == 1 || !ready[a.pod];
          if (count == 0) continue;
          lo = std::min<uint64_t>(lo, count);
          hi = std::max<uint64_t>(hi, count);
        }
      }
      if (hi > 0) {
        ASSERT_LE(hi - lo, 1u);
      }
      f.state = plan.next_state;
      f.current = plan.scale.desired;
      // Apply it through the fleet's own bookkeeping.
      f.pods = in.pods;
      for (auto& p : f.pods) p.outdated = false;
      std::map<std::string, const PodAssignment*> by_name;
      for (const auto& a : plan.assignments) by_name[a.pod] = &a;
      for (auto& p : f.pods) {
        p.assigned = by_name.at(p.name)->shards;
        if (!p.retiring && retired.contains(p.name)) {
          p.retiring = true;
          p.retiring_since = f.now;
        }
      }
      for (const auto& d : plan.remove) {
        std::erase_if(f.pods, [&](const PodView& p) { return p.name == d.pod; });
      }
      for (const auto& name : plan.create) {
        f.pods.push_back({.name = name, .created_at = f.now});
        f.of[name] = f.revision;
      }
      f.Agents();
      f.now += Seconds(10);
      if (clean && limits.max_surge > 0) {
        for (const auto& [s, n] : f.moved) {
          ASSERT_LE(n, 1) << "shard " << s << " moved twice for one revision change";
          ++checked_windows;
        }
      }
    }
    // Calm: the current revision is good and nothing else happens.
    f.bad.erase(f.revision);
    for (int i = 0; i < 100 && f.Outdated() > 0; ++i) f.Pass();
    ASSERT_EQ(f.Outdated(), 0) << "the rollout did not finish once the world calmed down";
    f.Settle();
    ++rollouts_finished;
  }
  EXPECT_GT(plans, 20'000u);
  EXPECT_GT(checked_windows, 1'000u);
  std::cout << plans << " plans, " << rollouts_finished << " histories ended rolled out, "
            << checked_windows << " shard moves checked once per revision\n";
}

}  // namespace
}  // namespace agentfleet::fleet::planner
