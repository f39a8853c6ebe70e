#include "controller/kube/controller/controller_metrics.h"

namespace agentfleet::kube::controller {
namespace {

obs::CounterVec& Total(obs::Registry& r) {
  return r.RegisterCounter("controller_runtime_reconcile_total",
                           "Total number of reconciliations per controller",
                           {"controller", "result"});
}

// controller-runtime's buckets for controller_runtime_reconcile_time_seconds.
std::vector<double> ReconcileTimeBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
          6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
}

}  // namespace

// Every series exists from the start (at zero), as controller-runtime does, so
// that rate() and alerts see a 0 instead of an absent series.
ControllerMetrics::ControllerMetrics(obs::Registry& r, const std::string& c)
    : success(Total(r).WithLabels({c, "success"})),
      error(Total(r).WithLabels({c, "error"})),
      requeue(Total(r).WithLabels({c, "requeue"})),
      requeue_after(Total(r).WithLabels({c, "requeue_after"})),
      errors(r.RegisterCounter("controller_runtime_reconcile_errors_total",
                               "Total number of reconciliation errors per controller",
                               {"controller"})
                 .WithLabels({c})),
      terminal_errors(r.RegisterCounter("controller_runtime_terminal_reconcile_errors_total",
                                        "Total number of terminal reconciliation errors per "
                                        "controller",
                                        {"controller"})
                          .WithLabels({c})),
      reconcile_time(r.RegisterHistogram("controller_runtime_reconcile_time_seconds",
                                         "Length of time per reconciliation per controller",
                                         {"controller"}, ReconcileTimeBuckets())
                         .WithLabels({c})),
      active_workers(r.RegisterGauge("controller_runtime_active_workers",
                                     "Number of currently used workers per controller",
                                     {"controller"})
                         .WithLabels({c})),
      max_concurrent(r.RegisterGauge("controller_runtime_max_concurrent_reconciles",
                                     "Maximum number of concurrent reconciles per controller",
                                     {"controller"})
                         .WithLabels({c})) {}

}  // namespace agentfleet::kube::controller
