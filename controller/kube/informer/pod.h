#pragma once

#include <string>

#include "controller/kube/meta/object_meta.h"

namespace agentfleet::kube::informer {

// The fields of a Pod the operator reads. Labels and annotations are limited
// to the agentfleet.io/ prefix and owners to the controller; everything else
// in the pod JSON is dropped.
struct PodRecord {
  kube::meta::ObjectMeta meta;
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
  std::string node_name;
  std::string pod_ip;
  bool ready = false;            // condition Ready=True
  int64_t ready_since_unix = 0;  // lastTransitionTime of that condition
  int32_t restarts = 0;          // summed over containers
  // Requests summed over the containers (millicores, bytes); -1 when a
  // container has none (resource utilization cannot be computed then).
  int64_t cpu_request_milli = -1;
  int64_t memory_request = -1;
  int64_t started_unix = 0;  // status.startTime; 0 before the kubelet starts it
  bool operator==(const PodRecord&) const = default;
};

PodRecord ToPodRecord(const nlohmann::json& pod);

}  // namespace agentfleet::kube::informer
