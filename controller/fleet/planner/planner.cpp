#include "controller/fleet/planner/planner.h"

#include <algorithm>
#include <iterator>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "controller/fleet/planner/assigner.h"
#include "controller/fleet/planner/lending.h"
#include "controller/fleet/planner/membership.h"
#include "controller/fleet/planner/pod_names.h"

namespace agentfleet::fleet::planner {
namespace {

// Pods by index ("fleet-2" before "fleet-10"), names outside the scheme last,
// so that a plan does not depend on the order of the reconciler's cache.
std::vector<const PodView*> SortedPods(const PlanInput& in) {
  std::vector<std::pair<uint64_t, const PodView*>> keyed;
  keyed.reserve(in.pods.size());
  for (const PodView& p : in.pods) {
    keyed.emplace_back(PodIndex(in.fleet, p.name).value_or(~uint64_t{0}), &p);
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->name < b.second->name;
  });
  std::vector<const PodView*> pods;
  pods.reserve(keyed.size());
  for (const auto& [_, p] : keyed) pods.push_back(p);
  return pods;
}

std::string Count(uint64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace

Plan MakePlan(const PlanInput& in, const PlannerState& state) {
  Plan plan;
  const std::vector<const PodView*> pods = SortedPods(in);
  const size_t n = pods.size();
  const bool leases_known = in.leases.has_value();

  std::unordered_map<std::string_view, int32_t> index_of;
  index_of.reserve(n * 2);
  std::unordered_set<std::string_view> taken;
  taken.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    index_of.emplace(pods[i]->name, static_cast<int32_t>(i));
    taken.insert(pods[i]->name);
  }

  // Valid leases: per shard its holder, per pod how many it holds.
  std::vector<int32_t> holder;
  std::vector<uint64_t> leases_held(n, 0);
  if (leases_known) {
    holder.assign(in.shards, kNoHolder);
    const std::string* last_name = nullptr;
    int32_t last_index = kUnknownHolder;
    for (const LeaseView& lease : *in.leases) {
      if (!lease.valid) continue;
      // Snapshots list a holder's shards together; skip the lookup on a repeat.
      if (last_name == nullptr || *last_name != lease.holder) {
        auto it = index_of.find(lease.holder);
        last_index = it == index_of.end() ? kUnknownHolder : it->second;
        if (it == index_of.end()) taken.insert(lease.holder);
        last_name = &lease.holder;
      }
      if (last_index >= 0) ++leases_held[last_index];
      if (lease.shard < in.shards) holder[lease.shard] = last_index;
    }
  }

  // Names a new pod must not take, remembered for passes without a snapshot.
  std::vector<std::string>& unverified = plan.next_state.unverified_names;
  if (!leases_known) {
    for (const std::string& name : state.unverified_names) taken.insert(name);
  }
  unverified.clear();
  unverified.reserve(taken.size());
  for (std::string_view name : taken) unverified.emplace_back(name);

  if (leases_known) {
    StrangerResult strangers =
        FindStrangers({.leases = *in.leases,
                       .shards = in.shards,
                       .is_pod = [&](std::string_view h) { return index_of.contains(h); },
                       .lease_duration = in.lease_duration,
                       .now = in.now,
                       .clocks = &state.stranger_since});
    plan.revoke = std::move(strangers.revoke);
    plan.next_state.stranger_since = std::move(strangers.clocks);
  } else {
    plan.next_state.stranger_since = state.stranger_since;
  }

  AutoscaleInput ai;
  ai.policy = in.autoscaling;
  ai.manual_replicas = in.manual_replicas;
  ai.current_replicas = in.current_replicas;
  ai.queue_depth = in.queue_depth;
  ai.queue_read = in.queue_read;
  if (in.autoscaling) {
    const ResourceTuning tuning{.tolerance = in.autoscaling->tolerance};
    for (const ResourceMetric& m : in.autoscaling->resources) {
      ResourceReading r{m.name};
      if (in.usage_fault) {
        r.value = MakeError(ErrorCode::kUnavailable, *in.usage_fault);
      } else {
        r.value =
            RecommendForResource(m, in.current_replicas,
                                 m.name == ResourceName::kCpu ? in.cpu : in.memory, tuning, in.now);
      }
      ai.resources.push_back(std::move(r));
    }
  }
  ai.paused = in.paused;
  ai.shards = in.shards;
  ai.now = in.now;
  AutoscaleOutcome scaled = Autoscale(ai, state.autoscaler);
  plan.scale = std::move(scaled.decision);
  plan.next_state.autoscaler = std::move(scaled.state);

  StuckResult stuck = FindStuckAgents({.pods = pods,
                                       .shards = in.shards,
                                       .holder = holder,
                                       .lease_duration = in.lease_duration,
                                       .now = in.now,
                                       .unheld_since = &state.unheld_since});
  plan.next_state.unheld_since = std::move(stuck.unheld_since);

  // Agents of the current revision found stuck halt its rollout for good:
  // their pods are replaced like any stuck pod, but no old pod is given up
  // for them until the template changes again.
  bool halted = !in.update_revision.empty() && state.rollout.halted_revision == in.update_revision;
  const bool any_outdated =
      std::any_of(pods.begin(), pods.end(), [](const PodView* p) { return p->outdated; });
  for (size_t i = 0; i < n && !halted && any_outdated; ++i) {
    halted = stuck.stuck[i] && !pods[i]->outdated;
  }

  // A fleet whose queue or lease table fails holds its rollout: changing its
  // pods now could only make things worse (and its new pods may need the very
  // Secret that is missing).
  const bool source_fault = in.queue_fault.has_value() || in.lease_fault.has_value();

  // A rollout is unsettled while a new pod holds fewer leases than the shards
  // it was given (or the lease table cannot tell); the step looks at the live
  // pods, the assigner below at those still live after the plan.
  std::vector<uint8_t> unsettled_pod(n, 0);
  bool unsettled = false;
  for (size_t i = 0; i < n && any_outdated; ++i) {
    unsettled_pod[i] = !pods[i]->retiring && !pods[i]->outdated && pods[i]->ready &&
                       leases_held[i] < pods[i]->assigned.size();
    unsettled = unsettled || (unsettled_pod[i] && !stuck.stuck[i]);
  }
  // Pods retired earlier that this pass will not delete yet.
  // Verdicts on pods retired earlier, also used below when deleting them.
  std::vector<std::optional<DeletionReason>> earlier_verdict(n);
  int32_t draining = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!pods[i]->retiring) continue;
    earlier_verdict[i] = RetirementVerdict(pods[i]->retiring_since, leases_held[i], leases_known,
                                           in.drain_timeout, in.now);
    draining += !earlier_verdict[i];
  }
  MembershipPlan members = PlanMembership({.fleet = in.fleet,
                                           .desired = plan.scale.desired,
                                           .pods = pods,
                                           .leases_held = leases_held,
                                           .stuck = stuck.stuck,
                                           .taken = &taken,
                                           .rollout = in.rollout,
                                           .paused = in.paused,
                                           .rollout_halted = halted || source_fault,
                                           .rollout_unsettled = unsettled,
                                           .draining = draining});
  plan.create = std::move(members.create);
  plan.rolling = members.rolling;

  std::vector<uint8_t> retiring(n, 0);
  std::vector<Time> retiring_since(n, in.now);
  for (size_t i = 0; i < n; ++i) {
    if (pods[i]->retiring) {
      retiring[i] = 1;
      retiring_since[i] = pods[i]->retiring_since;
    }
  }
  for (size_t i : members.retire) {
    retiring[i] = 1;
    plan.retire.push_back({pods[i]->name, stuck.stuck[i] != 0});
  }

  bool unsettled_after = false;
  for (size_t i = 0; i < n; ++i)
    unsettled_after = unsettled_after || (unsettled_pod[i] && !retiring[i]);
  // Outside a rollout, pods take shards from their create on (their agents
  // work from their first second) until kStartLeaseDurations pass without
  // them turning Ready. A rollout, which judges new pods by the leases they
  // take, gives shards to Ready pods only.
  const Seconds start_bound = kStartLeaseDurations * in.lease_duration;
  const size_t created = plan.create.size();
  std::vector<LendingPod> lending(n);
  for (size_t i = 0; i < n; ++i) {
    // A halted rollout's new pods take nothing: their agents cannot hold it;
    // nor does an empty new pod while another has yet to take its shards.
    const bool held_back = any_outdated && !pods[i]->outdated &&
                           (halted || (unsettled_after && pods[i]->assigned.empty()));
    const bool starting =
        !pods[i]->ready && !any_outdated && in.now - pods[i]->created_at < start_bound;
    lending[i] = {&pods[i]->name, &pods[i]->assigned, Claimant::kNone};
    if ((pods[i]->ready || starting) && !retiring[i] && !held_back) {
      lending[i].claimant = pods[i]->ready ? Claimant::kReady : Claimant::kStarting;
    }
    if (lending[i].claimant == Claimant::kReady) ++plan.ready_replicas;
  }
  // Shards lent to a starting pod count as its own (lending.h).
  const std::vector<std::vector<uint32_t>> claims =
      ClaimsForAssigner(in.shards, lending, state.lent);
  const std::vector<uint32_t> none;
  std::vector<AssignerPod> assigner_pods(n + created);
  for (size_t i = 0; i < n; ++i) {
    assigner_pods[i] = {&claims[i], lending[i].claimant != Claimant::kNone};
  }
  for (size_t j = 0; j < created; ++j) assigner_pods[n + j] = {&none, !any_outdated};
  ShardAssignment assignment = AssignShards(in.shards, assigner_pods, holder);
  plan.moves = assignment.moves;
  plan.minimum_moves = assignment.minimum_moves;
  std::vector<const std::string*> created_names;
  for (const auto& name : plan.create) created_names.push_back(&name);
  plan.next_state.lent =
      Lend(in.shards, lending, created_names, state.lent, claims, assignment.shards);

  plan.assignments.reserve(n);
  std::vector<uint32_t> current;
  for (size_t i = 0; i < n; ++i) {
    current = pods[i]->assigned;
    std::sort(current.begin(), current.end());
    const bool changed = current != assignment.shards[i];
    std::vector<uint32_t> gained;
    if (changed) {
      std::set_difference(assignment.shards[i].begin(), assignment.shards[i].end(), current.begin(),
                          current.end(), std::back_inserter(gained));
    }
    plan.assignments.push_back(
        {pods[i]->name, std::move(assignment.shards[i]), changed, std::move(gained)});
  }
  // A new pod's shards that a Ready pod keeps working until it is Ready are
  // not gained yet: their hand-off starts when that pod is told to let go.
  std::vector<uint8_t> lent_shard(in.shards, 0);
  for (const auto& [s, to] : plan.next_state.lent) lent_shard[s] = 1;
  for (size_t j = 0; j < created; ++j) {
    std::vector<uint32_t>& shards = assignment.shards[n + j];
    std::vector<uint32_t> gained;
    std::copy_if(shards.begin(), shards.end(), std::back_inserter(gained),
                 [&](uint32_t s) { return !lent_shard[s]; });
    plan.create_assignments.push_back({plan.create[j], shards, !shards.empty(), std::move(gained)});
  }

  size_t still_retiring = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!retiring[i]) continue;
    auto verdict = pods[i]->retiring ? earlier_verdict[i]
                                     : RetirementVerdict(retiring_since[i], leases_held[i],
                                                         leases_known, in.drain_timeout, in.now);
    if (!verdict) {
      ++still_retiring;
      continue;
    }
    plan.remove.push_back({pods[i]->name, *verdict, leases_held[i]});
    if (*verdict == DeletionReason::kDrainTimeout) {
      std::ostringstream msg;
      msg << "pod " << pods[i]->name << " still ";
      if (leases_known) {
        msg << "holds " << Count(leases_held[i], "lease");
      } else {
        msg << "may hold leases (lease table unreadable)";
      }
      msg << " after the drain timeout of " << in.drain_timeout.count() << "s; deleting it";
      plan.events.push_back({true, "DrainTimeout", msg.str(), pods[i]->name});
    }
  }

  ShardCounts& counts = plan.shards;
  counts.total = in.shards;
  counts.leases_known = leases_known;
  for (uint32_t s = 0; s < in.shards; ++s) {
    const int32_t owner = assignment.owner[s];
    if (owner >= 0) ++counts.assigned;
    if (!leases_known) continue;
    if (holder[s] == kNoHolder) {
      ++counts.unowned;
    } else if (holder[s] == owner) {
      ++counts.held;
    } else {
      ++counts.moving;
    }
  }

  if (plan.scale.desired != plan.scale.current) {
    const bool up = plan.scale.desired > plan.scale.current;
    plan.events.push_back({plan.scale.reason == ScaleReason::kFallback,
                           up ? "ScaledUp" : "ScaledDown", plan.scale.message, ""});
  }
  for (size_t i = 0; i < n; ++i) {
    if (!stuck.stuck[i]) continue;
    plan.stuck.push_back(pods[i]->name);
    std::ostringstream msg;
    msg << "pod " << pods[i]->name << " is Ready but has held none of its assigned shards for over "
        << kStuckLeaseDurations << " lease durations ("
        << kStuckLeaseDurations * in.lease_duration.count() << "s); replacing it";
    plan.events.push_back({true, "AgentStuck", msg.str(), pods[i]->name});
  }

  // The rollout's progress: new pods Ready, old pods gone.
  int64_t updated_ready = 0;
  for (size_t i = 0; i < n; ++i) {
    if (retiring[i]) continue;
    if (pods[i]->outdated) {
      ++plan.outdated;
    } else {
      ++plan.updated;
      updated_ready += pods[i]->ready ? 1 : 0;
    }
  }
  plan.updated += static_cast<int32_t>(plan.create.size());
  RolloutClock& clock = plan.next_state.rollout;
  clock = state.rollout;
  if (halted) clock.halted_revision = in.update_revision;
  bool deadline_exceeded = false;
  if (plan.outdated == 0 || in.rollout.on_delete) {
    clock = RolloutClock{};
  } else if (in.paused || source_fault) {
    clock.since = in.now;  // a held rollout's deadline starts again when it resumes
  } else {
    if (clock.updated_ready < 0 || updated_ready > clock.updated_ready ||
        plan.outdated < clock.outdated) {
      clock.since = in.now;
      clock.reported = false;
    }
    clock.updated_ready = updated_ready;
    clock.outdated = plan.outdated;
    deadline_exceeded = in.now - clock.since > in.progress_deadline;
    if (deadline_exceeded && !clock.reported) {
      clock.reported = true;
      std::ostringstream msg;
      msg << "the rollout to the new template made no progress for " << in.progress_deadline.count()
          << "s (spec.progressDeadlineSeconds): "
          << Count(static_cast<uint64_t>(updated_ready), "new pod") << " Ready, "
          << Count(static_cast<uint64_t>(plan.outdated), "old pod") << " left";
      plan.events.push_back({true, "ProgressDeadlineExceeded", msg.str(), ""});
    }
  }

  plan.conditions =
      FleetConditions({.scale = plan.scale,
                       .ready_replicas = plan.ready_replicas,
                       .creating = plan.create.size(),
                       .retiring = still_retiring,
                       .stuck = plan.stuck.size(),
                       .moves = plan.moves,
                       .shards = counts,
                       .source_failures = plan.next_state.autoscaler.consecutive_failures,
                       .queue_fault = in.queue_fault,
                       .lease_fault = in.lease_fault,
                       .rollout = {.outdated = plan.outdated,
                                   .updated_ready = static_cast<int32_t>(updated_ready),
                                   .on_delete = in.rollout.on_delete,
                                   .paused = in.paused,
                                   .waiting_for_sources = source_fault,
                                   .deadline_exceeded = deadline_exceeded,
                                   .deadline = in.progress_deadline}});
  return plan;
}

}  // namespace agentfleet::fleet::planner
