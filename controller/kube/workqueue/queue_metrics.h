#pragma once

// The workqueue metrics, named and bucketed as controller-runtime registers
// them, so existing dashboards and alerts work unchanged.

#include <string>

#include "controller/obs/metrics.h"

namespace agentfleet::kube::workqueue {

// The children of one queue (label name="<queue name>") in a registry.
struct QueueMetrics {
  QueueMetrics(obs::Registry& registry, const std::string& name);

  obs::Gauge& depth;               // workqueue_depth
  obs::Counter& adds;              // workqueue_adds_total
  obs::Histogram& queue_duration;  // workqueue_queue_duration_seconds
  obs::Histogram& work_duration;   // workqueue_work_duration_seconds
  obs::Counter& retries;           // workqueue_retries_total
  obs::Gauge& unfinished_work;     // workqueue_unfinished_work_seconds
  obs::Gauge& longest_running;     // workqueue_longest_running_processor_seconds
};

}  // namespace agentfleet::kube::workqueue
