#include "controller/fleet/reconciler/fleet_status.h"

#include "controller/fleet/api/conditions.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/status_json.h"
#include "controller/fleet/reconciler/enum_mirror.h"
#include "controller/kube/meta/time.h"

namespace agentfleet::fleet::reconciler {

api::Condition ToApiCondition(const planner::Condition& c, int64_t generation) {
  api::Condition out;
  out.type = c.type;
  out.status = ToApi(c.status, kConditionStatuses);
  out.observed_generation = generation;
  out.reason = c.reason;
  out.message = c.message;
  return out;
}

api::FleetStatus StatusFromPlan(const StatusInput& in) {
  const api::Fleet& fleet = *in.fleet;
  const planner::Plan& plan = *in.plan;
  api::FleetStatus s = fleet.status;
  s.observed_generation = fleet.meta.generation;
  s.replicas = in.replicas;
  s.ready_replicas = plan.ready_replicas;
  s.desired_replicas = plan.scale.desired;
  if (in.queue_depth) s.queue_depth = in.queue_depth;
  s.current_metrics.clear();
  for (const planner::ResourceReading& r : plan.scale.resources) {
    if (!r.value) continue;
    s.current_metrics.push_back({r.name == planner::ResourceName::kCpu
                                     ? api::ResourceMetricName::kCpu
                                     : api::ResourceMetricName::kMemory,
                                 r.value->average_utilization, r.value->average_value});
  }
  s.scaling_metric = plan.scale.metric;
  if (plan.scale.desired != plan.scale.current) {
    s.last_scale_time = kube::meta::TruncateToSeconds(in.now);
  }
  s.shards.total = static_cast<int32_t>(plan.shards.total);
  s.shards.assigned = static_cast<int32_t>(plan.shards.assigned);
  s.shards.held = static_cast<int32_t>(plan.shards.held);
  s.shards.moving = static_cast<int32_t>(plan.shards.moving);
  s.shards.unowned = static_cast<int32_t>(plan.shards.unowned);
  s.selector = api::PodSelector(fleet.meta.name);
  for (const auto& c : plan.conditions) {
    api::SetCondition(s.conditions, ToApiCondition(c, fleet.meta.generation), in.now);
  }
  return s;
}

void SetNameConflict(api::FleetStatus& s, const std::string& message, int64_t generation,
                     Clock::Wall now) {
  const api::Condition* before = api::FindCondition(s.conditions, api::kConditionPodNameConflict);
  if (message.empty() && before == nullptr) return;
  api::Condition c;
  c.type = std::string(api::kConditionPodNameConflict);
  c.observed_generation = generation;
  if (message.empty()) {
    c.status = api::ConditionStatus::kFalse;
    c.reason = "NoConflict";
    c.message = "no pod the fleet creates has its name taken";
    api::SetCondition(s.conditions, std::move(c), now);
    return;
  }
  c.status = api::ConditionStatus::kTrue;
  c.reason = "PodNameTaken";
  c.message = message;
  api::SetCondition(s.conditions, c, now);
  const api::Condition* degraded = api::FindCondition(s.conditions, api::kConditionDegraded);
  if (degraded == nullptr || degraded->status != api::ConditionStatus::kTrue) {
    c.type = std::string(api::kConditionDegraded);
    c.reason = "PodNameConflict";
    api::SetCondition(s.conditions, std::move(c), now);
  }
}

void SetCreateFailure(api::FleetStatus& s, const std::string& message, int64_t generation,
                      Clock::Wall now) {
  if (message.empty()) return;
  const api::Condition* degraded = api::FindCondition(s.conditions, api::kConditionDegraded);
  if (degraded != nullptr && degraded->status == api::ConditionStatus::kTrue) return;
  api::Condition c;
  c.type = std::string(api::kConditionDegraded);
  c.status = api::ConditionStatus::kTrue;
  c.observed_generation = generation;
  c.reason = "FailedCreate";
  c.message = message;
  api::SetCondition(s.conditions, std::move(c), now);
}

bool DegradedTurned(const api::FleetStatus& before, const api::FleetStatus& next,
                    std::string_view reason) {
  const api::Condition* now = api::FindCondition(next.conditions, api::kConditionDegraded);
  const api::Condition* was = api::FindCondition(before.conditions, api::kConditionDegraded);
  return now && now->status == api::ConditionStatus::kTrue && now->reason == reason &&
         (!was || was->status != now->status || was->reason != now->reason ||
          was->message != now->message);
}

api::FleetStatus InvalidStatus(const api::FleetStatus& current, int64_t generation,
                               const std::string& selector, const std::string& reason,
                               const std::string& message, Clock::Wall now) {
  api::FleetStatus s = current;
  s.observed_generation = generation;
  s.selector = selector;
  api::Condition ready;
  ready.type = std::string(api::kConditionReady);
  ready.status = api::ConditionStatus::kFalse;
  ready.observed_generation = generation;
  ready.reason = reason;
  ready.message = message;
  api::SetCondition(s.conditions, std::move(ready), now);
  return s;
}

}  // namespace agentfleet::fleet::reconciler
