#pragma once

// Which informer updates start a reconcile pass. A pass reads the spec, the
// metadata and the pods; it writes the status. An update that changes only
// what the operator itself wrote (the status) or what the caches drop (a
// pod's container statuses, managed fields) would start a pass that finds
// nothing new and costs a source read and a token of the client's bucket, so
// a busy fleet ran two passes per poll interval instead of one.

#include "controller/fleet/reconciler/fleet_record.h"
#include "controller/kube/informer/pod.h"

namespace agentfleet::fleet::reconciler {

// The spec (generation), labels, annotations (agentfleet.io/paused),
// finalizers, owners or deletion changed: not the status alone.
bool FleetUpdateStartsPass(const FleetRecord& before, const FleetRecord& after);

// Any field the operator reads of a pod changed (phase, readiness, node,
// restarts, metadata), the resourceVersion aside.
bool PodUpdateStartsPass(const kube::informer::PodRecord& before,
                         const kube::informer::PodRecord& after);

}  // namespace agentfleet::fleet::reconciler
