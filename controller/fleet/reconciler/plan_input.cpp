#include "controller/fleet/reconciler/plan_input.h"

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/enum_mirror.h"
#include "controller/fleet/reconciler/revisions.h"
#include "controller/kube/meta/time.h"
#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::fleet::reconciler {
namespace {

planner::ScalingRules ToRules(const api::ScalingRules& r) {
  planner::ScalingRules out;
  out.stabilization_window_seconds = static_cast<int32_t>(r.stabilization_window.count());
  for (const auto& p : r.policies) {
    out.policies.push_back(
        {ToPlanner(p.type, kPolicyTypes), p.value, static_cast<int32_t>(p.period.count())});
  }
  out.select_policy = ToPlanner(r.select_policy, kSelectPolicies);
  return out;
}

planner::Time FromUnix(int64_t seconds) {
  return planner::Time(std::chrono::seconds(seconds));
}

// Each pod's cpu and memory for the planner's resource metrics.
void AddUsage(planner::PlanInput& in, const Observation& seen) {
  if (!in.autoscaling || in.autoscaling->resources.empty() || seen.usage == nullptr) return;
  if (!*seen.usage) {
    in.usage_fault = seen.usage->error().message;
    return;
  }
  const PodSamples& samples = **seen.usage;
  for (const auto& [name, pod] : seen.pods) {
    planner::PodUsage u;
    u.name = name;
    u.deleting = pod->meta.deleting;
    u.failed = pod->phase == "Failed" || pod->phase == "Succeeded";  // ended: no usage
    u.pending = pod->phase == "Pending" || pod->phase.empty();
    u.ready = pod->ready;
    if (pod->started_unix > 0) u.started = FromUnix(pod->started_unix);
    if (pod->ready_since_unix > 0) u.ready_transition = FromUnix(pod->ready_since_unix);
    planner::PodUsage memory = u;
    if (pod->cpu_request_milli >= 0) u.request = pod->cpu_request_milli;
    if (pod->memory_request >= 0) memory.request = pod->memory_request;
    if (auto s = samples.find(name); s != samples.end()) {
      u.usage = s->second.cpu_milli;
      memory.usage = s->second.memory;
      u.sampled = memory.sampled = s->second.timestamp;
      u.window = memory.window = std::chrono::duration_cast<planner::Seconds>(s->second.window);
    }
    in.cpu.push_back(std::move(u));
    in.memory.push_back(std::move(memory));
  }
}

}  // namespace

planner::AutoscalingPolicy ToAutoscalingPolicy(const api::AutoscalingSpec& spec) {
  planner::AutoscalingPolicy p;
  p.min_replicas = spec.min_replicas;
  p.max_replicas = spec.max_replicas;
  p.target_queue_depth_per_agent = spec.target_queue_depth_per_agent;
  p.activation_queue_depth = spec.activation_queue_depth;
  p.behavior.scale_up = ToRules(spec.behavior.scale_up);
  p.behavior.scale_down = ToRules(spec.behavior.scale_down);
  if (spec.fallback) {
    p.fallback = planner::FallbackPolicy{spec.fallback->failure_threshold, spec.fallback->replicas};
  }
  for (const api::ResourceMetricSpec& m : spec.metrics) {
    p.resources.push_back(
        {m.name == api::ResourceMetricName::kCpu ? planner::ResourceName::kCpu
                                                 : planner::ResourceName::kMemory,
         {.average_utilization = m.average_utilization, .average_value = m.average_value}});
  }
  return p;
}

planner::PlanInput PlanInputFromFleet(const api::Fleet& fleet) {
  planner::PlanInput in;
  in.fleet = fleet.meta.name;
  in.shards = static_cast<uint32_t>(fleet.spec.shards);
  if (fleet.spec.autoscaling) {
    in.autoscaling = ToAutoscalingPolicy(*fleet.spec.autoscaling);
  } else {
    in.manual_replicas = fleet.spec.ManualReplicas();
  }
  in.paused = fleet.Paused();
  in.lease_duration = fleet.spec.leases.lease_duration;
  in.drain_timeout = fleet.spec.retirement.drain_timeout;
  const api::UpdateStrategy& u = fleet.spec.update_strategy;
  in.rollout.on_delete = u.type == api::UpdateStrategyType::kOnDelete;
  in.rollout.max_surge = {u.max_surge.value, u.max_surge.percent};
  in.rollout.max_unavailable = {u.max_unavailable.value, u.max_unavailable.percent};
  in.progress_deadline = fleet.spec.progress_deadline;
  return in;
}

planner::PodView ToPodView(const kube::informer::PodRecord& pod, uint32_t shards) {
  planner::PodView v;
  v.name = pod.meta.name;
  v.ready = pod.ready;
  v.created_at = FromUnix(pod.meta.created_unix);
  if (const std::string* mark = pod.meta.Annotation(api::kRetiringAnnotation)) {
    v.retiring = true;
    auto since = kube::meta::ParseTime(*mark);
    v.retiring_since = since ? *since : v.created_at;
  }
  if (const std::string* text = pod.meta.Annotation(sources::protocol::kShardsAnnotation)) {
    if (auto parsed = sources::protocol::ParseShardRanges(*text, shards))
      v.assigned = std::move(*parsed);
  }
  return v;
}

std::string_view HolderPod(std::string_view holder) {
  return holder.substr(0, holder.find('/'));
}

std::vector<planner::LeaseView> ToLeaseViews(const sources::lease::LeaseSnapshot& snapshot) {
  std::vector<planner::LeaseView> out;
  out.reserve(snapshot.records.size());
  for (const auto& r : snapshot.records) {
    out.push_back({r.shard, std::string(HolderPod(r.holder)), r.ValidAt(snapshot.now_ms)});
  }
  return out;
}

int64_t AssignmentGeneration(const kube::informer::PodRecord& pod) {
  const std::string* text = pod.meta.Annotation(sources::protocol::kAssignmentGenerationAnnotation);
  if (!text) return 0;
  auto g = sources::protocol::ParseAssignmentGeneration(*text);
  return g ? *g : 0;
}

int32_t CurrentReplicas(std::optional<int32_t> last_desired, const api::Fleet& fleet,
                        int32_t present) {
  if (last_desired) return *last_desired;
  if (!fleet.status.conditions.empty()) return fleet.status.desired_replicas;
  return present;
}

PassInput BuildPlanInput(const api::Fleet& fleet, const Observation& seen,
                         const Expectations& expectations, std::optional<int32_t> last_desired) {
  PassInput out;
  planner::PlanInput& in = out.plan;
  in = PlanInputFromFleet(fleet);
  in.queue_depth = seen.depth;
  in.queue_read = seen.queue_tried;
  in.queue_fault = seen.queue_fault;
  if (seen.leases) in.leases = ToLeaseViews(*seen.leases);
  in.lease_fault = seen.lease_fault;
  in.now = seen.wall_now;
  AddUsage(in, seen);
  const std::string revision = TemplateHash(fleet);
  in.update_revision = revision;
  // Pods made before revisions existed: see CountRevisions.
  const std::string& unlabelled =
      fleet.status.current_revision.empty() ? revision : fleet.status.current_revision;
  int32_t present = 0;
  for (const auto& [name, pod] : seen.pods) {
    planner::PodView v = ToPodView(*pod, in.shards);
    v.outdated = PodRevision(*pod, unlabelled) != revision;
    expectations.Correct(v, in.shards, seen.wall_now);
    const bool ended = pod->phase == "Failed" || pod->phase == "Succeeded";
    if (ended && !v.retiring && !pod->meta.deleting) out.newly_ended.push_back(name);
    if (pod->meta.deleting || ended) {
      v.ready = false;
      if (!v.retiring) v.retiring_since = seen.wall_now;
      v.retiring = true;
    }
    if (!v.retiring) ++present;
    in.pods.push_back(std::move(v));
  }
  for (const auto& name : expectations.PendingCreates()) {
    // Created by this process, not cached yet: as old as its create, with
    // the shards it was created with.
    planner::PodView v;
    v.name = name;
    v.created_at = seen.wall_now;
    if (auto at = expectations.CreatedAt(name)) {
      v.created_at -= std::chrono::duration_cast<planner::Time::duration>(seen.mono_now - *at);
    }
    expectations.Correct(v, in.shards, seen.wall_now);
    in.pods.push_back(std::move(v));
    ++present;
  }
  in.current_replicas = CurrentReplicas(last_desired, fleet, present);
  return out;
}

}  // namespace agentfleet::fleet::reconciler
