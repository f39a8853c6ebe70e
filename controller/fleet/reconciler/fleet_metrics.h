#pragma once

// The agentfleet_* metrics of the fleet reconciler, labelled by namespace and
// fleet.

#include <string>

#include "controller/fleet/planner/planner.h"
#include "controller/obs/metrics.h"

namespace agentfleet::fleet::reconciler {

class FleetMetrics {
 public:
  explicit FleetMetrics(obs::Registry& registry);

  void ObservePlan(const std::string& ns, const std::string& fleet, const planner::Plan& plan,
                   std::optional<int64_t> queue_depth);
  void SourceError(const std::string& ns, const std::string& fleet, const std::string& source);
  void Handoff(const std::string& ns, const std::string& fleet, double seconds);
  void AssignmentPublishError(const std::string& ns, const std::string& fleet);
  // Drops the gauges of a deleted fleet, so that no stale value is scraped.
  void Forget(const std::string& ns, const std::string& fleet);

 private:
  obs::GaugeVec& desired_;
  obs::GaugeVec& ready_;
  obs::GaugeVec& depth_;
  obs::GaugeVec& shards_;
  obs::CounterVec& moves_;
  obs::GaugeVec& updated_;
  obs::GaugeVec& outdated_;
  obs::CounterVec& rollout_moves_;
  obs::CounterVec& scale_decisions_;
  obs::CounterVec& source_errors_;
  obs::HistogramVec& handoff_;
  obs::CounterVec& publish_errors_;
};

}  // namespace agentfleet::fleet::reconciler
