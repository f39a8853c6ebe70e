#include "controller/fleet/reconciler/publish_assignments.h"

#include <map>
#include <vector>

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/plan_input.h"
#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::fleet::reconciler {
namespace {

using sources::lease::PodGeneration;
using sources::lease::PublishedAssignment;

// What each live pod's agent should read: the assignment this process wrote
// and the cache does not show yet, else the pod's annotations. A pod without
// an assignment, or with one that is malformed (a hand edit the planner will
// overwrite), has nothing to publish: an agent never gets a bad record.
std::map<std::string, PublishedAssignment> Wanted(const ActContext& ctx,
                                                  const std::set<std::string>& removing) {
  std::map<std::string, PublishedAssignment> out;
  const auto shard_count = static_cast<uint32_t>(ctx.fleet.spec.shards);
  for (const auto& [name, pod] : ctx.seen.pods) {
    if (removing.count(name) > 0 || pod->meta.deleting) continue;
    PublishedAssignment a{name, 0, ""};
    if (const auto* written = ctx.expectations.Written(name)) {
      a.generation = written->generation;
      a.shards = written->shards;
    } else if (const std::string* shards =
                   pod->meta.Annotation(sources::protocol::kShardsAnnotation)) {
      a.generation = AssignmentGeneration(*pod);
      a.shards = *shards;
    }
    if (a.generation <= 0 || !sources::protocol::ParseShardRanges(a.shards, shard_count).ok() ||
        !sources::lease::ValidateAssignments({a}).ok()) {
      continue;
    }
    out.emplace(name, std::move(a));
  }
  return out;
}

bool Live(const ActContext& ctx, const std::set<std::string>& removing, const std::string& pod) {
  auto it = ctx.seen.pods.find(pod);
  if (it != ctx.seen.pods.end()) return removing.count(pod) == 0 && !it->second->meta.deleting;
  // Created by this process and not cached yet: a name reused by a new pod.
  return ctx.expectations.Creating(pod);
}

}  // namespace

PublishOutcome PublishAssignments(const ActContext& ctx, const std::set<std::string>& removing) {
  PublishOutcome out;
  // No snapshot this pass: the store failed or waits out its backoff, and
  // one more call would only wait for the same timeout.
  if (!ctx.leases || !ctx.seen.leases) return out;
  const std::string fleet = api::LeaseFleetId(ctx.fleet.meta.namespace_name, ctx.fleet.meta.name);
  auto fail = [&](const std::string& what, const Error& e) {
    out.error = what + ": " + e.message;
    ctx.log.Warn("published assignments not updated; agents learn theirs from the pod",
                 {{"error", out.error}});
    if (ctx.metrics) {
      ctx.metrics->AssignmentPublishError(ctx.fleet.meta.namespace_name, ctx.fleet.meta.name);
    }
    return out;
  };
  auto listed = ctx.leases->ListAssignments(fleet);
  if (!listed) return fail("listing published assignments", listed.error());

  std::map<std::string, PublishedAssignment> wanted = Wanted(ctx, removing);
  std::vector<PodGeneration> gone;
  for (const auto& record : *listed) {
    auto it = wanted.find(record.pod);
    if (it != wanted.end()) {
      // Equal generations carry equal shards: the operator writes one
      // generation once. A higher one in the store is kept by the store.
      if (it->second.generation <= record.generation) wanted.erase(it);
    } else if (!Live(ctx, removing, record.pod)) {
      // Generation 0 is an unparsable record: any generation removes it.
      gone.push_back({record.pod, record.generation > 0 ? record.generation : 1});
    }
  }
  std::vector<PublishedAssignment> publish;
  for (auto& [pod, a] : wanted) publish.push_back(std::move(a));
  if (publish.empty() && gone.empty()) return out;

  if (ctx.lease_write_gate) {
    if (auto may = ctx.lease_write_gate(); !may) {
      return fail("publishing assignments", may.error());
    }
  }
  if (!publish.empty()) {
    auto written = ctx.leases->PublishAssignments(fleet, publish);
    if (!written) return fail("publishing assignments", written.error());
    for (bool w : *written) out.published += w ? 1 : 0;
  }
  if (!gone.empty()) {
    if (auto s = ctx.leases->RemoveAssignments(fleet, gone); !s) {
      return fail("removing the published assignments of gone pods", s.error());
    }
    out.removed = gone.size();
  }
  ctx.log.Debug("assignments published", {{"published", out.published}, {"removed", out.removed}});
  return out;
}

}  // namespace agentfleet::fleet::reconciler
