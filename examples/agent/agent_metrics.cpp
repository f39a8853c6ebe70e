#include "examples/agent/agent_metrics.h"

namespace agentfleet::agent {

AgentMetrics::AgentMetrics(obs::Registry& r)
    : shards_held(r.RegisterGauge("pricing_agent_shards_held",
                                  "Shards whose lease this agent holds (active or draining)")
                      .WithLabels({})),
      shards_desired(
          r.RegisterGauge("pricing_agent_shards_desired", "Shards in the applied assignment")
              .WithLabels({})),
      assignment_generation(r.RegisterGauge("pricing_agent_assignment_generation",
                                            "Generation of the applied assignment")
                                .WithLabels({})),
      assignment_errors(r.RegisterCounter("pricing_agent_assignment_errors_total",
                                          "Assignments read but malformed (the previous one kept)")
                            .WithLabels({})),
      leases_acquired(
          r.RegisterCounter("pricing_agent_leases_acquired_total", "Shard leases acquired")
              .WithLabels({})),
      leases_released(
          r.RegisterCounter("pricing_agent_leases_released_total", "Shard leases released")
              .WithLabels({})),
      leases_lost(r.RegisterCounter("pricing_agent_leases_lost_total",
                                    "Shard leases lost: renew refused, fenced write, or expired")
                      .WithLabels({})),
      acquire_held_elsewhere(r.RegisterCounter("pricing_agent_lease_acquire_failures_total",
                                               "Shard acquisitions that failed, by reason",
                                               {"reason"})
                                 .WithLabels({"held"})),
      acquire_errors(r.RegisterCounter("pricing_agent_lease_acquire_failures_total",
                                       "Shard acquisitions that failed, by reason", {"reason"})
                         .WithLabels({"error"})),
      renew_lost(r.RegisterCounter("pricing_agent_lease_renew_failures_total",
                                   "Shard renewals that failed, by reason", {"reason"})
                     .WithLabels({"lost"})),
      renew_errors(r.RegisterCounter("pricing_agent_lease_renew_failures_total",
                                     "Shard renewals that failed, by reason", {"reason"})
                       .WithLabels({"error"})),
      tasks_processed(r.RegisterCounter("pricing_agent_tasks_processed_total",
                                        "Tasks repriced, written and acknowledged")
                          .WithLabels({})),
      tasks_invalid(
          r.RegisterCounter("pricing_agent_tasks_invalid_total",
                            "Malformed or misrouted tasks moved to the dead-letter destination")
              .WithLabels({})),
      tasks_claimed(r.RegisterCounter("pricing_agent_tasks_claimed_total",
                                      "Abandoned pending tasks claimed (XAUTOCLAIM)")
                        .WithLabels({})),
      fenced_rejections(r.RegisterCounter("pricing_agent_fenced_rejections_total",
                                          "Result writes rejected by fencing (lease lost)")
                            .WithLabels({})),
      results_superseded(
          r.RegisterCounter("pricing_agent_results_superseded_total",
                            "Task prices not written: the store holds a newer task's price for "
                            "the product (an older task processed late, e.g. claimed after a "
                            "hand-off)")
              .WithLabels({})),
      result_write_errors(r.RegisterCounter("pricing_agent_result_write_errors_total",
                                            "Result writes that failed (store unavailable)")
                              .WithLabels({})),
      queue_errors(
          r.RegisterCounter("pricing_agent_queue_errors_total", "Failed task queue commands")
              .WithLabels({})),
      tasks_received(r.RegisterCounter("pricing_agent_tasks_received_total",
                                       "Messages received from a shared task queue (Redis list, "
                                       "SQS, RabbitMQ), whatever their shard")
                         .WithLabels({})),
      tasks_returned_elsewhere(
          r.RegisterCounter("pricing_agent_tasks_returned_total",
                            "Messages given back to a shared task queue, by reason", {"reason"})
              .WithLabels({"not_held"})),
      tasks_returned_fenced(
          r.RegisterCounter("pricing_agent_tasks_returned_total",
                            "Messages given back to a shared task queue, by reason", {"reason"})
              .WithLabels({"fenced"})),
      tasks_returned_write_error(
          r.RegisterCounter("pricing_agent_tasks_returned_total",
                            "Messages given back to a shared task queue, by reason", {"reason"})
              .WithLabels({"write_error"})),
      task_latency(r.RegisterHistogram(
                        "pricing_agent_task_latency_seconds",
                        "Time from a task's enqueue (its stream entry ID) until "
                        "its price is stored.",
                        {},
                        {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600})
                       .WithLabels({})),
      products_priced(r.RegisterCounter("pricing_agent_products_priced_total",
                                        "Product prices stored by this agent's fenced writes, per "
                                        "shard (older tasks the store skipped not counted)",
                                        {"shard"})),
      handoffs_in(r.RegisterCounter("pricing_agent_handoffs_total",
                                    "Shard hand-offs: in, a shard acquired after waiting for its "
                                    "previous holder; out, a shard released because the "
                                    "assignment moved it",
                                    {"direction"})
                      .WithLabels({"in"})),
      handoffs_out(r.RegisterCounter("pricing_agent_handoffs_total",
                                     "Shard hand-offs: in, a shard acquired after waiting for its "
                                     "previous holder; out, a shard released because the "
                                     "assignment moved it",
                                     {"direction"})
                       .WithLabels({"out"})) {}

void AgentMetrics::ProductsPriced(uint32_t shard, size_t n) {
  if (n > 0) products_priced.WithLabels({std::to_string(shard)}).Inc(static_cast<double>(n));
}

}  // namespace agentfleet::agent
