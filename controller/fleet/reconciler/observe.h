#pragma once

// The first phase of a pass: what the reconciler sees of a fleet — its pods in
// the cache, the queue depth or why it is missing, the lease table or why it
// is missing, and the time. Nothing is written here.

#include <optional>
#include <string>

#include "controller/base/clock.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/views.h"
#include "controller/fleet/reconciler/expectations.h"
#include "controller/fleet/reconciler/fleet_sources.h"
#include "controller/fleet/reconciler/pod_usage.h"
#include "controller/kube/informer/pod.h"
#include "controller/kube/informer/store.h"
#include "controller/sources/lease/lease_store.h"

namespace agentfleet::fleet::reconciler {

struct Observation {
  Clock::Monotonic mono_now{};
  Clock::Wall wall_now{};
  Expectations::CachedPods pods;  // the fleet's pods in the cache, by name
  std::optional<int64_t> depth;
  std::optional<planner::SourceFault> queue_fault;  // set exactly when depth is not
  std::optional<sources::lease::LeaseSnapshot> leases;
  std::optional<planner::SourceFault> lease_fault;  // set exactly when leases is not
  // The source was opened or read this pass; a fault during its backoff is
  // the last one again, not a new error.
  bool queue_tried = false, leases_tried = false;
  // The pods' cpu and memory (metrics.k8s.io), when the fleet scales on them
  // and has pods; the reconciler's PodUsage holds the answer.
  const Result<PodSamples>* usage = nullptr;
};

// A source's error in the planner's words. `opened`: the source was opened and
// a read failed (else opening it failed).
planner::SourceFault ToSourceFault(const Error& error, bool opened);

// Reads the fleet `key`'s pods from `pods` (by the fleet index), the queue
// depth and the lease table from `sources` (already refreshed), each unless
// its backoff holds it back.
Observation Observe(const std::string& key, const api::Fleet& fleet,
                    const kube::informer::Store<kube::informer::PodRecord>& pods,
                    FleetSources& sources, const Clock& clock);

}  // namespace agentfleet::fleet::reconciler
