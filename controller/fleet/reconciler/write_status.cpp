#include "controller/fleet/reconciler/write_status.h"

#include "controller/fleet/api/conditions.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/status_json.h"
#include "controller/fleet/reconciler/fleet_status.h"
#include "controller/fleet/reconciler/revisions.h"

namespace agentfleet::fleet::reconciler {
namespace {

void LogChangedConditions(const obs::Logger& log, const api::FleetStatus& current,
                          const api::FleetStatus& next) {
  for (const auto& c : next.conditions) {
    const api::Condition* before = api::FindCondition(current.conditions, c.type);
    if (before && before->status == c.status && before->reason == c.reason) continue;
    log.Info("condition changed", {{"type", c.type},
                                   {"status", std::string(api::ConditionStatusName(c.status))},
                                   {"reason", c.reason},
                                   {"message", c.message}});
  }
}

}  // namespace

api::FleetStatus NextStatus(const api::Fleet& fleet, const Observation& seen,
                            const planner::Plan& plan, const ActOutcome& done) {
  int32_t replicas = static_cast<int32_t>(seen.pods.size() + done.created);
  for (const auto& d : plan.remove) {
    if (seen.pods.count(d.pod) > 0) --replicas;
  }
  api::FleetStatus s = StatusFromPlan({&fleet, &plan, replicas, seen.depth, seen.wall_now});
  std::vector<std::string> leaving;
  for (const auto& d : plan.remove) leaving.push_back(d.pod);
  for (const auto& r : plan.retire) leaving.push_back(r.pod);
  s.update_revision = TemplateHash(fleet);
  // Pods made before revisions existed run what the status last said, or,
  // on the first pass that knows revisions, the current template.
  const std::string& unlabelled =
      fleet.status.current_revision.empty() ? s.update_revision : fleet.status.current_revision;
  const RevisionCounts counts = CountRevisions(seen.pods, leaving, s.update_revision, unlabelled);
  s.updated_replicas = counts.updated + static_cast<int32_t>(done.created);
  s.current_revision = counts.current_revision;
  s.assignment_generation = done.generation_mark;
  SetCreateFailure(s, done.create_refused, fleet.meta.generation, seen.wall_now);
  SetNameConflict(s, ConflictMessage(done.conflicts), fleet.meta.generation, seen.wall_now);
  api::KeepTransitionTimes(fleet.status.conditions, s.conditions);
  return s;
}

bool OnlyFiguresDiffer(const api::FleetStatus& current, const api::FleetStatus& next) {
  if (next.conditions.size() != current.conditions.size()) return false;
  api::FleetStatus figures_kept = next;
  figures_kept.replicas = current.replicas;
  figures_kept.ready_replicas = current.ready_replicas;
  figures_kept.updated_replicas = current.updated_replicas;
  figures_kept.queue_depth = current.queue_depth;
  figures_kept.current_metrics = current.current_metrics;
  figures_kept.assignment_generation = current.assignment_generation;
  figures_kept.shards = current.shards;
  for (size_t i = 0; i < next.conditions.size(); ++i) {
    figures_kept.conditions[i].message = current.conditions[i].message;
  }
  return figures_kept == current;
}

Status WriteStatus(kube::rest::Client& client, const obs::Logger& log,
                   const kube::meta::ObjectMeta& fleet, const api::FleetStatus& current,
                   const api::FleetStatus& next) {
  if (current == next) return Ok{};
  auto r =
      client.Patch(kube::rest::resources::kPricingAgentFleets, fleet.namespace_name, fleet.name,
                   kube::rest::PatchType::kJsonMerge, api::StatusMergePatch(next),
                   {.field_manager = std::string(api::kFieldManager), .subresource = "status"});
  if (!r) return MakeError(r.error().code, "writing status: " + r.error().message);
  LogChangedConditions(log, current, next);
  return Ok{};
}

}  // namespace agentfleet::fleet::reconciler
