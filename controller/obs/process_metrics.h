#pragma once

// The standard process metrics, as client_golang's process collector names
// them (process_resident_memory_bytes, process_virtual_memory_bytes,
// process_cpu_seconds_total, process_open_fds, process_max_fds,
// process_start_time_seconds), and a <name> build-info gauge: what
// dashboards and the usual alerts expect of any binary. Read from /proc at
// every scrape.

#include <string>

#include "controller/obs/metrics.h"

namespace agentfleet::obs {

class ProcessMetrics {
 public:
  // `build_info`: the gauge's name (agentfleet_build_info,
  // pricing_agent_build_info), 1 with the label version.
  ProcessMetrics(Registry& registry, const std::string& build_info, const std::string& version);

 private:
  void Collect();

  GaugeVec& rss_;
  GaugeVec& vms_;
  CounterVec& cpu_;
  GaugeVec& open_fds_;
  GaugeVec& max_fds_;
  GaugeVec& start_time_;
  double cpu_reported_ = 0;  // what cpu_ holds: the counter only grows by the difference
  CollectHook hook_;
};

}  // namespace agentfleet::obs
