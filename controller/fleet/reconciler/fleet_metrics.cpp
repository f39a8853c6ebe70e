#include "controller/fleet/reconciler/fleet_metrics.h"

namespace agentfleet::fleet::reconciler {

FleetMetrics::FleetMetrics(obs::Registry& r)
    : desired_(r.RegisterGauge("agentfleet_desired_replicas",
                               "Replicas the fleet's last plan asked for.",
                               {"namespace", "fleet"})),
      ready_(r.RegisterGauge("agentfleet_ready_replicas", "Ready, non-retiring agent pods.",
                             {"namespace", "fleet"})),
      depth_(r.RegisterGauge("agentfleet_queue_depth", "The last queue depth read for the fleet.",
                             {"namespace", "fleet"})),
      shards_(r.RegisterGauge("agentfleet_shards", "The fleet's shards by state.",
                              {"namespace", "fleet", "state"})),
      moves_(r.RegisterCounter("agentfleet_shard_moves_total",
                               "Shards given to a pod that did not have them.",
                               {"namespace", "fleet"})),
      updated_(r.RegisterGauge("agentfleet_updated_replicas",
                               "Agent pods, not retiring, made from the current template.",
                               {"namespace", "fleet"})),
      outdated_(r.RegisterGauge("agentfleet_outdated_replicas",
                                "Agent pods, not retiring, made from an older template.",
                                {"namespace", "fleet"})),
      rollout_moves_(r.RegisterCounter(
          "agentfleet_rollout_shard_moves_total",
          "Shards given to a pod that did not have them by passes of a rolling update.",
          {"namespace", "fleet"})),
      scale_decisions_(r.RegisterCounter("agentfleet_scale_decisions_total",
                                         "Changes of the desired replica count, by direction.",
                                         {"namespace", "fleet", "direction"})),
      source_errors_(r.RegisterCounter("agentfleet_source_errors_total",
                                       "Failed reads of a fleet's queue or lease table.",
                                       {"namespace", "fleet", "source"})),
      handoff_(r.RegisterHistogram(
          "agentfleet_handoff_seconds",
          "Time from a shard's reassignment until its new owner holds the lease.",
          {"namespace", "fleet"}, {0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 30, 60, 120, 300})),
      publish_errors_(r.RegisterCounter(
          "agentfleet_assignment_publish_errors_total",
          "Passes whose published assignments (the agents' fast path in the lease store) could "
          "not be updated; the pods' annotations still deliver them.",
          {"namespace", "fleet"})) {}

void FleetMetrics::ObservePlan(const std::string& ns, const std::string& fleet,
                               const planner::Plan& plan, std::optional<int64_t> queue_depth) {
  desired_.WithLabels({ns, fleet}).Set(plan.scale.desired);
  ready_.WithLabels({ns, fleet}).Set(plan.ready_replicas);
  if (queue_depth) depth_.WithLabels({ns, fleet}).Set(static_cast<double>(*queue_depth));
  shards_.WithLabels({ns, fleet, "assigned"}).Set(static_cast<double>(plan.shards.assigned));
  shards_.WithLabels({ns, fleet, "held"}).Set(static_cast<double>(plan.shards.held));
  shards_.WithLabels({ns, fleet, "moving"}).Set(static_cast<double>(plan.shards.moving));
  shards_.WithLabels({ns, fleet, "unowned"}).Set(static_cast<double>(plan.shards.unowned));
  if (plan.moves > 0) moves_.WithLabels({ns, fleet}).Inc(static_cast<double>(plan.moves));
  updated_.WithLabels({ns, fleet}).Set(plan.updated);
  outdated_.WithLabels({ns, fleet}).Set(plan.outdated);
  if (plan.rolling && plan.moves > 0) {
    rollout_moves_.WithLabels({ns, fleet}).Inc(static_cast<double>(plan.moves));
  }
  if (plan.scale.desired > plan.scale.current) {
    scale_decisions_.WithLabels({ns, fleet, "up"}).Inc();
  } else if (plan.scale.desired < plan.scale.current) {
    scale_decisions_.WithLabels({ns, fleet, "down"}).Inc();
  }
}

void FleetMetrics::SourceError(const std::string& ns, const std::string& fleet,
                               const std::string& source) {
  source_errors_.WithLabels({ns, fleet, source}).Inc();
}

void FleetMetrics::Handoff(const std::string& ns, const std::string& fleet, double seconds) {
  handoff_.WithLabels({ns, fleet}).Observe(seconds);
}

void FleetMetrics::AssignmentPublishError(const std::string& ns, const std::string& fleet) {
  publish_errors_.WithLabels({ns, fleet}).Inc();
}

void FleetMetrics::Forget(const std::string& ns, const std::string& fleet) {
  desired_.Remove({ns, fleet});
  ready_.Remove({ns, fleet});
  depth_.Remove({ns, fleet});
  updated_.Remove({ns, fleet});
  outdated_.Remove({ns, fleet});
  for (const char* state : {"assigned", "held", "moving", "unowned"}) {
    shards_.Remove({ns, fleet, state});
  }
}

}  // namespace agentfleet::fleet::reconciler
