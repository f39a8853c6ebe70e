#pragma once

// The fleet's spec and the observed objects as the planner takes them.

#include <optional>
#include <string_view>
#include <vector>

#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/reconciler/expectations.h"
#include "controller/fleet/reconciler/observe.h"
#include "controller/kube/informer/pod.h"
#include "controller/sources/lease/lease_store.h"

namespace agentfleet::fleet::reconciler {

planner::AutoscalingPolicy ToAutoscalingPolicy(const api::AutoscalingSpec& spec);

// The spec-derived fields of a PlanInput: fleet, shards, autoscaling or manual
// replicas, paused, lease duration and drain timeout.
planner::PlanInput PlanInputFromFleet(const api::Fleet& fleet);

// A cached pod as the planner sees it. A malformed shards annotation reads as
// no shards (the planner then reassigns them); a malformed retiring mark reads
// as retiring since the pod's creation, so the drain timeout still ends it.
planner::PodView ToPodView(const kube::informer::PodRecord& pod, uint32_t shards);

// The pod a lease holder id names. Agents hold leases as
// "<pod-name>/<random suffix>", new for every process start
// (docs/protocol.md), so that a restarted agent is not taken for its
// predecessor; the operator plans per pod. An id without a '/' is the pod name.
std::string_view HolderPod(std::string_view holder);

// The lease table at the store's own instant, holders mapped to their pods.
std::vector<planner::LeaseView> ToLeaseViews(const sources::lease::LeaseSnapshot& snapshot);

// The replica count the autoscaler starts from: the last plan's; after a
// restart, the desired count the stored status reports; for a fleet never
// reconciled, the pods present (`present`, retiring ones not counted).
int32_t CurrentReplicas(std::optional<int32_t> last_desired, const api::Fleet& fleet,
                        int32_t present);

// Everything the planner takes for one pass: the spec, the observation and the
// cached pods corrected by this process's expectations, plus the pods created
// and not yet cached. Terminating and ended (Failed, Succeeded) pods count as
// retiring and not Ready, so that their replacements are created at once.
struct PassInput {
  planner::PlanInput plan;
  std::vector<std::string> newly_ended;  // ended pods not yet retiring: a PodEnded event each
};
PassInput BuildPlanInput(const api::Fleet& fleet, const Observation& seen,
                         const Expectations& expectations, std::optional<int32_t> last_desired);

// The pod's agentfleet.io/assignment-generation, 0 when absent or malformed.
int64_t AssignmentGeneration(const kube::informer::PodRecord& pod);

}  // namespace agentfleet::fleet::reconciler
