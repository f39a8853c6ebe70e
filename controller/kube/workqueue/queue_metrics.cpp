#include "controller/kube/workqueue/queue_metrics.h"

namespace agentfleet::kube::workqueue {
namespace {

// client-go/controller-runtime: ExponentialBuckets(10e-9, 10, 12), 10 ns .. 1000 s.
std::vector<double> DurationBuckets() {
  return obs::ExponentialBuckets(10e-9, 10, 12);
}

}  // namespace

QueueMetrics::QueueMetrics(obs::Registry& r, const std::string& name)
    : depth(r.RegisterGauge("workqueue_depth", "Current depth of workqueue", {"name"})
                .WithLabels({name})),
      adds(r.RegisterCounter("workqueue_adds_total", "Total number of adds handled by workqueue",
                             {"name"})
               .WithLabels({name})),
      queue_duration(
          r.RegisterHistogram("workqueue_queue_duration_seconds",
                              "How long in seconds an item stays in workqueue before being "
                              "requested",
                              {"name"}, DurationBuckets())
              .WithLabels({name})),
      work_duration(r.RegisterHistogram("workqueue_work_duration_seconds",
                                        "How long in seconds processing an item from workqueue "
                                        "takes.",
                                        {"name"}, DurationBuckets())
                        .WithLabels({name})),
      retries(r.RegisterCounter("workqueue_retries_total",
                                "Total number of retries handled by workqueue", {"name"})
                  .WithLabels({name})),
      unfinished_work(
          r.RegisterGauge("workqueue_unfinished_work_seconds",
                          "How many seconds of work has been done that is in progress and "
                          "hasn't been observed by work_duration. Large values indicate stuck "
                          "threads. One can deduce the number of stuck threads by observing the "
                          "rate at which this increases.",
                          {"name"})
              .WithLabels({name})),
      longest_running(r.RegisterGauge("workqueue_longest_running_processor_seconds",
                                      "How many seconds has the longest running processor for "
                                      "workqueue been running.",
                                      {"name"})
                          .WithLabels({name})) {}

}  // namespace agentfleet::kube::workqueue
