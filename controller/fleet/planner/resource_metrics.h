#pragma once

// The replica count one Resource metric (cpu or memory of the fleet's pods)
// recommends, with the HorizontalPodAutoscaler's replica calculator's rules:
// pods being deleted or failed are left out; Pending pods, and for cpu pods
// not Ready or whose sample may predate their readiness, count as unready; a
// pod without a sample is missing. Without unready or missing pods the ratio
// usage / target times the Ready pods gives the count. Otherwise the average
// is taken again with missing pods at 0 on a scale-up and at least at the
// target on a scale-down, and unready pods at 0 on a scale-up, so that neither
// can push the fleet further in the direction the measured pods ask for; a
// second ratio that flips the direction, or falls within the tolerance, keeps
// the count.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/fleet/planner/time.h"

namespace agentfleet::fleet::planner {

enum class ResourceName { kCpu, kMemory };

// autoscaling/v2 MetricTarget of a Resource metric: exactly one of the two.
struct ResourceTarget {
  std::optional<int32_t> average_utilization;  // % of the pods' requests
  std::optional<int64_t> average_value;        // millicores or bytes per pod
};

struct ResourceMetric {
  ResourceName name = ResourceName::kCpu;
  ResourceTarget target;
};

// One of the fleet's pods as the calculator sees it.
struct PodUsage {
  std::string name;
  bool deleting = false;
  bool failed = false;   // phase Failed
  bool pending = false;  // phase Pending
  bool ready = false;
  std::optional<Time> started;           // status.startTime
  std::optional<Time> ready_transition;  // the Ready condition's lastTransitionTime; absent: none
  // Summed over the pod's containers; absent when a container has none
  // (utilization cannot be computed then).
  std::optional<int64_t> request;
  // From metrics.k8s.io: millicores or bytes, summed over containers; absent: no sample.
  std::optional<int64_t> usage;
  Time sampled;  // the sample's timestamp
  Seconds window{30};
};

struct ResourceTuning {
  double tolerance = 0.1;
  // kube-controller-manager's --horizontal-pod-autoscaler-cpu-initialization-period
  // and --horizontal-pod-autoscaler-initial-readiness-delay.
  Seconds cpu_initialization_period{300};
  Seconds initial_readiness_delay{30};
};

struct ResourceRecommendation {
  int32_t replicas = 0;
  int64_t average_value = 0;                   // over the pods with a sample
  std::optional<int32_t> average_utilization;  // when the target is a utilization
};

// Errors: kInvalidArgument for a Utilization target and a pod without the
// request; kNotFound while no Ready pod has a sample yet (new pods get their
// first two or three scrapes after they start).
Result<ResourceRecommendation> RecommendForResource(const ResourceMetric& metric, int32_t current,
                                                    const std::vector<PodUsage>& pods,
                                                    const ResourceTuning& tuning, Time now);

const char* ResourceNameString(ResourceName name);

}  // namespace agentfleet::fleet::planner
