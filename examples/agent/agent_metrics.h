#pragma once

// The agent's Prometheus metrics (prefix pricing_agent_).

#include "controller/obs/metrics.h"

namespace agentfleet::agent {

struct AgentMetrics {
  explicit AgentMetrics(obs::Registry& r);

  obs::Gauge& shards_held;
  obs::Gauge& shards_desired;
  obs::Gauge& assignment_generation;
  obs::Counter& assignment_errors;
  obs::Counter& leases_acquired;
  obs::Counter& leases_released;
  obs::Counter& leases_lost;
  obs::Counter& acquire_held_elsewhere;  // the hand-off in progress: retried next tick
  obs::Counter& acquire_errors;          // the store failed
  obs::Counter& renew_lost;              // the store refused a renew: lease lost
  obs::Counter& renew_errors;            // the store failed
  obs::Counter& tasks_processed;
  obs::Counter& tasks_invalid;
  obs::Counter& tasks_claimed;
  obs::Counter& fenced_rejections;
  obs::Counter& results_superseded;  // older tasks' prices the store skipped
  obs::Counter& result_write_errors;
  obs::Counter& queue_errors;
  // Shared queues (shared_queue_worker.h): every message received, and those
  // given back, by reason; received / processed is what routing costs.
  obs::Counter& tasks_received;
  obs::Counter& tasks_returned_elsewhere;    // its shard is not held here
  obs::Counter& tasks_returned_fenced;       // the write was fenced off
  obs::Counter& tasks_returned_write_error;  // the store failed
  obs::Histogram& task_latency;              // enqueue to price stored (task_latency.h)
  // Products whose price a write stored, per shard (label "shard"): one
  // series per shard this process has priced, at most the fleet's S.
  obs::CounterVec& products_priced;
  obs::Counter& handoffs_in;   // acquired after waiting for the previous holder
  obs::Counter& handoffs_out;  // released because the assignment moved it

  void ProductsPriced(uint32_t shard, size_t n);
};

}  // namespace agentfleet::agent
