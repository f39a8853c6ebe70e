#include "controller/fleet/reconciler/act.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/agent_pod.h"
#include "controller/fleet/reconciler/concurrently.h"
#include "controller/fleet/reconciler/plan_input.h"
#include "controller/fleet/reconciler/pod_deletes.h"
#include "controller/fleet/reconciler/publish_assignments.h"
#include "controller/kube/meta/object_meta.h"
#include "controller/kube/meta/time.h"
#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::fleet::reconciler {
namespace {

const kube::informer::PodRecord* Cached(const ActContext& ctx, const std::string& pod) {
  auto it = ctx.seen.pods.find(pod);
  return it == ctx.seen.pods.end() ? nullptr : it->second.get();
}

kube::events::ObjectReference PodRef(const ActContext& ctx, const std::string& pod) {
  const kube::informer::PodRecord* p = Cached(ctx, pod);
  return {"v1", "Pod", ctx.fleet.meta.namespace_name, pod, p ? p->meta.uid : ""};
}

enum class Existing { kOurs, kForeign, kGone, kUnknown };

// Whose pod `name` is, after a create found it existing: the fleet's own pod
// (created by an earlier pass or process, not cached yet) has a controller
// owner reference to the fleet's uid; anything else is someone else's.
Existing WhosePod(const ActContext& ctx, const std::string& name, std::string& owner,
                  ActOutcome& out) {
  auto got = ctx.client.Get(kube::rest::resources::kPods, ctx.fleet.meta.namespace_name, name);
  if (!got) {
    if (got.error().code == ErrorCode::kNotFound) return Existing::kGone;
    out.errors.push_back("reading pod " + name + ", which exists already: " + got.error().message);
    return Existing::kUnknown;
  }
  const kube::meta::ObjectMeta meta = kube::meta::ParseObjectMeta(*got);
  const kube::meta::OwnerRef* controller = meta.ControllerOwner();
  if (controller && controller->uid == ctx.fleet.meta.uid) return Existing::kOurs;
  owner = controller ? controller->kind + " " + controller->name : "no controller";
  return Existing::kForeign;
}

// Slow start, as the ReplicaSet controller's: batches of 1, 2, 4, ..., none
// after a batch with a failure, so that a quota or a webhook refusing every
// pod costs a few requests, not hundreds. A name taken by someone else's pod is no
// failure of the others: it is reported, not counted, and tried again next
// pass (at the poll interval, like every pass).
// A 4xx answer other than throttling: the same create will be refused again
// until the spec, the namespace or its policies change.
bool IsRefusal(const Error& e) {
  return e.http_status >= 400 && e.http_status < 500 && e.code != ErrorCode::kTooManyRequests &&
         e.code != ErrorCode::kTimeout;
}

// A new pod carries its shards from the create on: one write per pod, and
// its agent works from its first second (an old owner of a shard, patched
// next, lets go and the new pod takes the lease). A batch's creates go out
// at once (concurrently.h); the next batch only when all of them went
// through, as the ReplicaSet controller's slow start does.
void CreatePods(const ActContext& ctx, const std::vector<planner::PodAssignment>& pods,
                ActOutcome& out) {
  const std::string& ns = ctx.fleet.meta.namespace_name;
  for (size_t next = 0, batch = 1; next < pods.size(); next += batch, batch *= 2) {
    batch = std::min(batch, pods.size() - next);
    // Generations first, in order: the counter only goes up. A refused
    // create's generation was never written and is not counted.
    std::vector<std::optional<Expectations::Assignment>> written(batch);
    int64_t generation = out.generation_mark;
    for (size_t k = 0; k < batch; ++k) {
      const planner::PodAssignment& a = pods[next + k];
      if (a.shards.empty()) continue;
      written[k] = {"", sources::protocol::FormatShardRanges(a.shards), ++generation};
    }
    // Each body is built as it is sent and the created pod the server answers
    // with is dropped at once: a batch of 4,096 holding both for every pod
    // took the operator to 338 MiB (bench_fleet_reconciler_10k).
    std::vector<Status> answers(batch, Status(Ok{}));
    Concurrently(batch, kWriteWidth, [&](size_t k) {
      nlohmann::json body = BuildAgentPod(ctx.fleet, pods[next + k].pod);
      if (written[k]) SetAssignment(body, written[k]->shards, written[k]->generation);
      auto created = ctx.client.Create(kube::rest::resources::kPods, ns, body,
                                       {.field_manager = std::string(api::kFieldManager)});
      if (!created) answers[k] = created.error();
    });
    bool failed = false;
    for (size_t k = 0; k < batch; ++k) {
      const std::string& name = pods[next + k].pod;
      const Status& r = answers[k];
      if (!r && r.error().code != ErrorCode::kAlreadyExists) {
        out.errors.push_back("creating pod " + name + ": " + r.error().message);
        if (IsRefusal(r.error()) && out.create_refused.empty()) {
          out.create_refused = out.errors.back();
        }
        failed = true;
        continue;
      }
      if (!r) {
        std::string owner;
        switch (WhosePod(ctx, name, owner, out)) {
          case Existing::kOurs:
            break;
          case Existing::kForeign:
            out.conflicts.push_back({name, owner});
            continue;
          case Existing::kGone:  // deleted in between: created next pass
            continue;
          case Existing::kUnknown:
            failed = true;
            continue;
        }
      }
      ctx.expectations.Created(name, ctx.seen.mono_now);
      // Only a create that went through carries this assignment; a pod
      // found existing shows its own once cached.
      if (r && written[k]) {
        out.generation_mark = std::max(out.generation_mark, written[k]->generation);
        ctx.expectations.Assigned(name, *written[k]);
        ctx.handoffs.Started(name, pods[next + k].gained, ctx.seen.mono_now);
      }
      ++out.created;
    }
    // A quota or a webhook refusing every pod costs one batch, not hundreds.
    if (failed) return;
  }
}

void ReportConflicts(const ActContext& ctx, const std::vector<NameConflict>& conflicts) {
  std::set<std::string> now;
  for (const auto& c : conflicts) {
    now.insert(c.pod);
    if (ctx.known_conflicts.count(c.pod) > 0) continue;
    ctx.events.Warning(FleetRef(ctx.fleet.meta), "PodNameConflict", "Reconcile",
                       ConflictMessage({c}));
    ctx.log.Info("pod name taken", {{"pod", c.pod}, {"owner", c.owner}});
  }
  ctx.known_conflicts = std::move(now);
}

// The mark carries the time a pod started retiring, so that its drain timeout
// runs from then across passes and operator restarts. Ended pods get it too:
// the planner counts them retiring already and never asks for the mark.
void MarkRetiring(const ActContext& ctx, const planner::Plan& plan,
                  const std::vector<std::string>& newly_ended,
                  const std::set<std::string>& removing, ActOutcome& out) {
  std::vector<std::pair<std::string, std::string>> marks;  // pod, why
  for (const auto& r : plan.retire) marks.emplace_back(r.pod, r.stuck ? "stuck" : "scale-down");
  for (const auto& name : newly_ended) marks.emplace_back(name, "ended");
  const std::string now = kube::meta::FormatTime(ctx.seen.wall_now);
  for (const auto& [name, why] : marks) {
    const kube::informer::PodRecord* pod = Cached(ctx, name);
    if (removing.count(name) > 0 || !pod || pod->meta.Annotation(api::kRetiringAnnotation) ||
        ctx.expectations.Marked(name)) {
      continue;
    }
    auto p = ctx.client.Patch(kube::rest::resources::kPods, ctx.fleet.meta.namespace_name, name,
                              kube::rest::PatchType::kJsonMerge, RetiringPatch(now),
                              {.field_manager = std::string(api::kFieldManager)});
    if (p) {
      ctx.expectations.MarkedRetiring(name, pod->meta.resource_version);
      ctx.log.Info("pod retiring", {{"pod", name}, {"why", why}});
    } else if (p.error().code != ErrorCode::kNotFound) {
      out.errors.push_back("marking pod " + name + " retiring: " + p.error().message);
    }
  }
}

// Pods that gain shards are told first: their agents then wait on leases
// still held and take them the moment the old owners, told next, let go.
// The other way round the shards would lie unheld for a whole round of
// patches.
void AssignShards(const ActContext& ctx, const planner::Plan& plan,
                  const std::set<std::string>& removing, ActOutcome& out) {
  // Who is to own each shard, for the hand-offs a pod's letting go starts:
  // a shard lent to a starting pod (lending.h) moves when its lender lets go.
  std::map<uint32_t, std::vector<const std::string*>> owners;
  for (const auto* list : {&plan.assignments, &plan.create_assignments}) {
    for (const auto& a : *list) {
      for (uint32_t s : a.shards) owners[s].push_back(&a.pod);
    }
  }
  auto let_go = [&](const planner::PodAssignment& a, const kube::informer::PodRecord& pod) {
    const std::string* text = pod.meta.Annotation(sources::protocol::kShardsAnnotation);
    if (const auto* written = ctx.expectations.Written(a.pod)) text = &written->shards;
    if (!text) return;
    auto before = sources::protocol::ParseShardRanges(*text, ctx.fleet.spec.shards);
    if (!before) return;
    std::map<std::string, std::vector<uint32_t>> to;
    for (uint32_t s : *before) {
      if (std::binary_search(a.shards.begin(), a.shards.end(), s)) continue;
      for (const std::string* o : owners[s]) {
        if (*o != a.pod) to[*o].push_back(s);
      }
    }
    for (const auto& [owner, shards] : to) ctx.handoffs.Started(owner, shards, ctx.seen.mono_now);
  };
  std::vector<const planner::PodAssignment*> order;
  for (const auto& a : plan.assignments) {
    if (a.changed) order.push_back(&a);
  }
  std::stable_partition(order.begin(), order.end(),
                        [](const planner::PodAssignment* a) { return !a->gained.empty(); });
  for (const planner::PodAssignment* next : order) {
    const planner::PodAssignment& a = *next;
    const kube::informer::PodRecord* pod = Cached(ctx, a.pod);
    // A pod created this pass, or not cached yet, gets its shards next pass.
    if (removing.count(a.pod) > 0 || !pod) continue;
    const std::string ranges = sources::protocol::FormatShardRanges(a.shards);
    if (const auto* written = ctx.expectations.Written(a.pod)) {
      if (written->shards == ranges) continue;
    }
    // One counter for the fleet, above everything ever written or seen: a
    // generation lowered by hand cannot bring back one the agent has passed.
    const int64_t generation = ++out.generation_mark;
    auto p =
        ctx.client.Patch(kube::rest::resources::kPods, ctx.fleet.meta.namespace_name, a.pod,
                         kube::rest::PatchType::kJsonMerge, AssignmentPatch(ranges, generation),
                         {.field_manager = std::string(api::kFieldManager)});
    if (p) {
      ctx.handoffs.Started(a.pod, a.gained, ctx.seen.mono_now);
      let_go(a, *pod);
      ctx.expectations.Assigned(a.pod, {pod->meta.resource_version, ranges, generation});
    } else if (p.error().code != ErrorCode::kNotFound) {
      out.errors.push_back("assigning shards to pod " + a.pod + ": " + p.error().message);
    }
  }
}

void DeleteDrained(const ActContext& ctx, const planner::Plan& plan, ActOutcome& out) {
  std::vector<const planner::Deletion*> deletions;
  std::vector<const kube::informer::PodRecord*> pods;
  for (const auto& d : plan.remove) {
    const kube::informer::PodRecord* pod = Cached(ctx, d.pod);
    if (!pod || pod->meta.deleting || ctx.expectations.DeletePending(pod->meta.uid)) continue;
    ctx.expectations.Forget(d.pod);
    deletions.push_back(&d);
    pods.push_back(pod);
  }
  const std::vector<Status> done = DeletePods(ctx.client, pods);
  for (size_t i = 0; i < deletions.size(); ++i) {
    const planner::Deletion& d = *deletions[i];
    if (!done[i]) {
      out.errors.push_back(done[i].error().message);
      continue;
    }
    ctx.expectations.Deleted(pods[i]->meta.uid, ctx.seen.mono_now);
    const bool drained = d.reason == planner::DeletionReason::kDrained;
    ctx.log.Info("pod deleted", {{"pod", d.pod},
                                 {"reason", drained ? "Drained" : "DrainTimeout"},
                                 {"leasesHeld", d.leases_held}});
  }
}

// Only the leases the snapshot showed, by their token: a lease taken since
// by anyone is left alone.
void RevokeStrangers(const ActContext& ctx, const planner::Plan& plan, ActOutcome& out) {
  if (plan.revoke.empty() || !ctx.leases || !ctx.seen.leases) return;
  std::vector<sources::lease::ShardToken> seen;
  for (const auto& r : plan.revoke) {
    if (const auto* record = ctx.seen.leases->Valid(r.shard)) {
      seen.push_back({r.shard, record->token});
    }
  }
  if (ctx.lease_write_gate) {
    if (auto may = ctx.lease_write_gate(); !may) {
      out.errors.push_back("revoking strangers' leases: " + may.error().message);
      return;
    }
  }
  const std::string fleet = api::LeaseFleetId(ctx.fleet.meta.namespace_name, ctx.fleet.meta.name);
  auto done = ctx.leases->RevokeMany(fleet, seen);
  if (!done) {
    out.errors.push_back("revoking strangers' leases: " + done.error().message);
    return;
  }
  std::vector<uint32_t> revoked;
  for (size_t i = 0; i < seen.size() && i < done->size(); ++i) {
    if ((*done)[i].ok()) {
      revoked.push_back(seen[i].shard);
    } else {
      ctx.log.Info("lease not revoked", {{"error", (*done)[i].error().message}});
    }
  }
  if (revoked.empty()) return;
  ctx.log.Info("strangers' leases revoked",
               {{"shards", sources::protocol::FormatShardRanges(revoked)}});
  // One Warning per stranger, for what was revoked.
  std::map<std::string, std::vector<uint32_t>> by_stranger;
  for (const auto& r : plan.revoke) {
    if (std::find(revoked.begin(), revoked.end(), r.shard) != revoked.end()) {
      by_stranger[r.holder].push_back(r.shard);
    }
  }
  for (const auto& [stranger, shards] : by_stranger) {
    ctx.events.Warning(
        FleetRef(ctx.fleet.meta), "LeaseRevoked", "Reconcile",
        planner::RevokedMessage(stranger, shards, ctx.fleet.spec.leases.lease_duration));
  }
}

void RecordEvents(const ActContext& ctx, const planner::Plan& plan,
                  const std::vector<std::string>& newly_ended) {
  for (const auto& name : newly_ended) {
    const kube::informer::PodRecord* pod = Cached(ctx, name);
    ctx.events.Warning(PodRef(ctx, name), "PodEnded", "Reconcile",
                       "the agent pod ended (phase " + (pod ? pod->phase : std::string("?")) +
                           "); it is retired once its leases are released or expired, and "
                           "replaced");
  }
  for (const auto& e : plan.events) {
    const kube::events::ObjectReference ref =
        e.pod.empty() ? FleetRef(ctx.fleet.meta) : PodRef(ctx, e.pod);
    ctx.events.Record(ref, e.warning ? "Warning" : "Normal", e.reason, "Reconcile", e.message);
  }
}

}  // namespace

std::string ConflictMessage(const std::vector<NameConflict>& conflicts) {
  std::vector<std::string> parts;
  for (const auto& c : conflicts) {
    parts.push_back("pod " + c.pod + " already exists and is not this fleet's (" + c.owner +
                    "); the fleet runs without it until that pod is deleted or renamed");
  }
  return JoinMessages(parts);
}

std::string JoinMessages(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

kube::events::ObjectReference FleetRef(const kube::meta::ObjectMeta& meta) {
  return {std::string(api::kApiVersion), std::string(api::kKind), meta.namespace_name, meta.name,
          meta.uid};
}

Status DeletePod(kube::rest::Client& client, const kube::informer::PodRecord& pod) {
  auto s = client.Delete(kube::rest::resources::kPods, pod.meta.namespace_name, pod.meta.name,
                         {.precondition_uid = pod.meta.uid});
  if (s || s.error().code == ErrorCode::kNotFound ||
      s.error().code == ErrorCode::kFailedPrecondition || s.error().code == ErrorCode::kConflict) {
    return Ok{};
  }
  return MakeError(s.error().code, "deleting pod " + pod.meta.name + ": " + s.error().message);
}

ActOutcome Act(const ActContext& ctx, const planner::Plan& plan,
               const std::vector<std::string>& newly_ended) {
  ActOutcome out;
  // Values past 2^53 - 1 (the CRD's bound) can only be hand edits: ignored,
  // or one absurd pod would stop every pod's assignments.
  constexpr int64_t kMaxGeneration = (int64_t{1} << 53) - 1;
  auto seen = [&](int64_t g) {
    if (g <= kMaxGeneration) out.generation_mark = std::max(out.generation_mark, g);
  };
  seen(ctx.fleet.status.assignment_generation);
  if (ctx.generation_mark) seen(*ctx.generation_mark);
  for (const auto& [name, pod] : ctx.seen.pods) seen(AssignmentGeneration(*pod));
  // Drained pods go before new ones come, so that the fleet's pods never
  // number more than the plan allows, not even between two requests.
  DeleteDrained(ctx, plan, out);
  if (!plan.create.empty()) {
    ctx.log.Info("creating pods", {{"count", plan.create.size()}, {"first", plan.create.front()}});
  }
  CreatePods(ctx, plan.create_assignments, out);
  ReportConflicts(ctx, out.conflicts);
  std::set<std::string> removing;
  for (const auto& d : plan.remove) removing.insert(d.pod);
  MarkRetiring(ctx, plan, newly_ended, removing, out);
  AssignShards(ctx, plan, removing, out);
  PublishAssignments(ctx, removing);  // the fast path; the annotations already deliver
  RevokeStrangers(ctx, plan, out);
  RecordEvents(ctx, plan, newly_ended);
  if (ctx.generation_mark) *ctx.generation_mark = out.generation_mark;
  return out;
}

}  // namespace agentfleet::fleet::reconciler
