#pragma once

// The controller metrics, named, labelled and bucketed as controller-runtime
// registers them, so existing dashboards and alerts work unchanged.

#include <string>

#include "controller/obs/metrics.h"

namespace agentfleet::kube::controller {

struct ControllerMetrics {
  ControllerMetrics(obs::Registry& registry, const std::string& controller);

  // controller_runtime_reconcile_total{controller,result}
  obs::Counter& success;
  obs::Counter& error;
  obs::Counter& requeue;
  obs::Counter& requeue_after;
  obs::Counter& errors;            // controller_runtime_reconcile_errors_total
  obs::Counter& terminal_errors;   // controller_runtime_terminal_reconcile_errors_total
  obs::Histogram& reconcile_time;  // controller_runtime_reconcile_time_seconds
  obs::Gauge& active_workers;      // controller_runtime_active_workers
  obs::Gauge& max_concurrent;      // controller_runtime_max_concurrent_reconciles
};

}  // namespace agentfleet::kube::controller
