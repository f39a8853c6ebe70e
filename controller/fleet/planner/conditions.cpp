#include "controller/fleet/planner/conditions.h"

#include <sstream>

namespace agentfleet::fleet::planner {
namespace {

Condition Make(std::string type, ConditionStatus status, std::string reason, std::string message) {
  return {std::move(type), status, std::move(reason), std::move(message)};
}

std::string ShardSummary(const ShardCounts& s) {
  std::ostringstream out;
  out << s.held << " of " << s.total << " shards held (" << s.moving << " moving, " << s.unowned
      << " unowned)";
  return out.str();
}

Condition Ready(const ConditionsInput& in) {
  std::ostringstream msg;
  if (in.scale.desired == 0) {
    return Make("Ready", ConditionStatus::kTrue, "ScaledToZero", "no agents wanted");
  }
  if (in.ready_replicas < in.scale.desired) {
    msg << in.ready_replicas << " of " << in.scale.desired << " agents ready";
    return Make("Ready", ConditionStatus::kFalse, "PodsNotReady", msg.str());
  }
  if (!in.shards.leases_known) {
    return Make("Ready", ConditionStatus::kUnknown, "LeasesUnknown",
                "the lease table could not be read");
  }
  if (in.shards.held < in.shards.total) {
    return Make("Ready", ConditionStatus::kFalse, "ShardsNotHeld", ShardSummary(in.shards));
  }
  msg << in.ready_replicas << " agents ready, all " << in.shards.total << " shards held";
  return Make("Ready", ConditionStatus::kTrue, "AllShardsHeld", msg.str());
}

Condition Progressing(const ConditionsInput& in) {
  std::ostringstream msg;
  const RolloutConditionInput& r = in.rollout;
  if (r.outdated > 0 && !r.on_delete) {
    msg << r.updated_ready << " of " << in.scale.desired << " pods of the new template Ready, "
        << r.outdated << " old " << (r.outdated == 1 ? "pod" : "pods") << " left";
    if (r.deadline_exceeded) {
      return Make("Progressing", ConditionStatus::kFalse, "ProgressDeadlineExceeded",
                  "no progress for " + std::to_string(r.deadline.count()) +
                      "s (spec.progressDeadlineSeconds): " + msg.str());
    }
    if (r.paused) {
      return Make("Progressing", ConditionStatus::kUnknown, "RolloutPaused",
                  "paused (agentfleet.io/paused): " + msg.str());
    }
    if (r.waiting_for_sources) {
      return Make(
          "Progressing", ConditionStatus::kUnknown, "RolloutHeld",
          "held until the queue and the lease table can be read (see Degraded): " + msg.str());
    }
    return Make("Progressing", ConditionStatus::kTrue, "RollingUpdate", msg.str());
  }
  if (in.creating > 0) {
    msg << "creating " << in.creating << " pods";
    return Make("Progressing", ConditionStatus::kTrue, "CreatingPods", msg.str());
  }
  if (in.retiring > 0) {
    msg << in.retiring << " pods draining";
    return Make("Progressing", ConditionStatus::kTrue, "Draining", msg.str());
  }
  if (in.moves > 0 || in.shards.moving > 0) {
    msg << in.moves << " shards reassigned; " << in.shards.moving << " still held elsewhere";
    return Make("Progressing", ConditionStatus::kTrue, "Rebalancing", msg.str());
  }
  if (in.ready_replicas < in.scale.desired) {
    msg << "waiting for " << in.scale.desired - in.ready_replicas << " pods to become ready";
    return Make("Progressing", ConditionStatus::kTrue, "WaitingForPods", msg.str());
  }
  if (in.shards.leases_known && in.shards.unowned > 0 && in.scale.desired > 0) {
    msg << "waiting for agents to acquire " << in.shards.unowned << " shards";
    return Make("Progressing", ConditionStatus::kTrue, "AcquiringLeases", msg.str());
  }
  return Make("Progressing", ConditionStatus::kFalse, "Converged", "the fleet matches its plan");
}

Condition Degraded(const ConditionsInput& in) {
  std::ostringstream msg;
  if (in.queue_fault || in.lease_fault) {
    const bool queue = in.queue_fault.has_value();
    const SourceFault& first = queue ? *in.queue_fault : *in.lease_fault;
    std::string message = first.message;
    if (queue && in.lease_fault) message += "; " + in.lease_fault->message;
    return Make("Degraded", ConditionStatus::kTrue, FaultReason(queue, first.kind), message);
  }
  if (in.stuck > 0) {
    msg << in.stuck << " agents hold none of their shards' leases; replacing them";
    return Make("Degraded", ConditionStatus::kTrue, "AgentStuck", msg.str());
  }
  if (in.source_failures > 0) {
    msg << "queue depth unavailable for " << in.source_failures << " consecutive reads";
    return Make("Degraded", ConditionStatus::kTrue, "QueueDepthUnavailable", msg.str());
  }
  for (const ResourceReading& r : in.scale.resources) {
    // A metric not sampled yet (new pods) is no fault; one that cannot be read,
    // or a pod without the request a utilization needs, is.
    if (r.value || r.value.error().code == ErrorCode::kNotFound) continue;
    const bool requests = r.value.error().code == ErrorCode::kInvalidArgument;
    return Make("Degraded", ConditionStatus::kTrue,
                requests ? "ResourceRequestMissing" : "ResourceMetricsUnavailable",
                std::string(ResourceNameString(r.name)) + ": " + r.value.error().message);
  }
  if (!in.shards.leases_known) {
    return Make("Degraded", ConditionStatus::kTrue, "LeasesUnavailable",
                "the lease table could not be read");
  }
  return Make("Degraded", ConditionStatus::kFalse, "AsExpected", "no fault observed");
}

Condition ScalingLimited(const ConditionsInput& in) {
  if (IsLimit(in.scale.reason)) {
    return Make("ScalingLimited", ConditionStatus::kTrue,
                std::string(ScaleReasonName(in.scale.reason)), in.scale.message);
  }
  return Make("ScalingLimited", ConditionStatus::kFalse, "DesiredWithinRange", in.scale.message);
}

}  // namespace

std::string FaultReason(bool queue, FaultKind kind) {
  switch (kind) {
    case FaultKind::kUnreadable:
      return queue ? "QueueDepthUnavailable" : "LeasesUnavailable";
    case FaultKind::kNotFound:
      return queue ? "QueueSourceNotFound" : "LeaseStoreNotFound";
    case FaultKind::kAccessDenied:
      return queue ? "QueueSourceAccessDenied" : "LeaseStoreAccessDenied";
    case FaultKind::kInvalidConfiguration:
      return queue ? "QueueSourceInvalidConfiguration" : "LeaseStoreInvalidConfiguration";
    case FaultKind::kUnavailable:
      return queue ? "QueueSourceUnavailable" : "LeaseStoreUnavailable";
    case FaultKind::kCredentialsRequired:
      return "CredentialsRequired";
  }
  return queue ? "QueueSourceUnavailable" : "LeaseStoreUnavailable";
}

std::vector<Condition> FleetConditions(const ConditionsInput& in) {
  return {Ready(in), Progressing(in), Degraded(in), ScalingLimited(in)};
}

}  // namespace agentfleet::fleet::planner
