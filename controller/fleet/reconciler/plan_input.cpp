#include "controller/fleet/reconciler/plan_input.h"

#include "controller/fleet/api/names.h"
#include "controller/fleet/api/time_format.h"
#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::fleet::reconciler {
namespace {

planner::ScalingRules ToRules(const api::ScalingRules& r) {
  planner::ScalingRules out;
  out.stabilization_window_seconds = static_cast<int32_t>(r.stabilization_window.count());
  for (const auto& p : r.policies) {
    out.policies.push_back({p.type == api::PolicyType::kPods ? planner::ScalingPolicyType::kPods
                                                             : planner::ScalingPolicyType::kPercent,
                            p.value, static_cast<int32_t>(p.period.count())});
  }
  switch (r.select_policy) {
    case api::SelectPolicy::kMax:
      out.select_policy = planner::SelectPolicy::kMax;
      break;
    case api::SelectPolicy::kMin:
      out.select_policy = planner::SelectPolicy::kMin;
      break;
    case api::SelectPolicy::kDisabled:
      out.select_policy = planner::SelectPolicy::kDisabled;
      break;
  }
  return out;
}

planner::Time FromUnix(int64_t seconds) {
  return planner::Time(std::chrono::seconds(seconds));
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
  return in;
}

planner::PodView ToPodView(const kube::PodRecord& pod, uint32_t shards) {
  planner::PodView v;
  v.name = pod.meta.name;
  v.ready = pod.ready;
  v.created_at = FromUnix(pod.meta.created_unix);
  if (const std::string* mark = pod.meta.Annotation(api::kRetiringAnnotation)) {
    v.retiring = true;
    auto since = api::ParseTime(*mark);
    v.retiring_since = since ? *since : v.created_at;
  }
  if (const std::string* text = pod.meta.Annotation(sources::protocol::kShardsAnnotation)) {
    if (auto parsed = sources::protocol::ParseShardRanges(*text, shards)) v.assigned = std::move(*parsed);
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

int64_t AssignmentGeneration(const kube::PodRecord& pod) {
  const std::string* text = pod.meta.Annotation(sources::protocol::kAssignmentGenerationAnnotation);
  if (!text) return 0;
  auto g = sources::protocol::ParseAssignmentGeneration(*text);
  return g ? *g : 0;
}

}  // namespace agentfleet::fleet::reconciler
