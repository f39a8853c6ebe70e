#pragma once

// The third phase of a pass: the plan applied to the API server. Every step
// tolerates having been done already (a pod that exists, a pod already gone)
// and records what it wrote in the expectations, so that the next pass does
// not write it again while the cache lags. Failures are collected, not
// returned early: one refused patch does not stop the deletes of drained pods.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/reconciler/expectations.h"
#include "controller/fleet/reconciler/fleet_metrics.h"
#include "controller/fleet/reconciler/handoffs.h"
#include "controller/fleet/reconciler/observe.h"
#include "controller/kube/events/recorder.h"
#include "controller/kube/rest/client.h"
#include "controller/obs/log.h"

namespace agentfleet::fleet::reconciler {

struct ActContext {
  kube::rest::Client& client;
  kube::events::EventRecorder& events;
  const obs::Logger& log;
  const api::Fleet& fleet;
  const Observation& seen;
  Expectations& expectations;
  Handoffs& handoffs;
  // Pods whose name conflict was reported last pass: a PodNameConflict Event
  // is recorded only for a conflict not among them. Replaced every pass.
  std::set<std::string>& known_conflicts;
  // The fleet's lease store, to revoke strangers' leases; null when it
  // cannot be opened (then there is no snapshot and nothing to revoke).
  sources::lease::LeaseStore* leases = nullptr;
  // The highest assignment generation this process has written or seen for
  // the fleet (in and out): the cache may lag behind the process's own
  // writes, and the counter must never go back.
  int64_t* generation_mark = nullptr;
  // ReconcilerOptions::lease_write_gate.
  std::function<Status()> lease_write_gate{};
  FleetMetrics* metrics = nullptr;  // optional
};

// A pod the plan creates whose name another owner took first.
struct NameConflict {
  std::string pod;
  std::string owner;  // "ReplicaSet web-5d9c", or "no controller"
};

struct ActOutcome {
  size_t created = 0;                   // pods created (or found existing, the fleet's) this pass
  std::vector<NameConflict> conflicts;  // creates refused: the name is someone else's pod
  // A create the API server refused for good (4xx: Pod Security, quota, an
  // invalid template), "creating pod <name>: <its message>"; empty: none.
  std::string create_refused;
  std::vector<std::string> errors;  // one line per failed write
  // The highest assignment generation written or seen (status.assignmentGeneration).
  int64_t generation_mark = 0;
};

// "pod pricing-0 already exists and is not this fleet's (...)", joined.
std::string ConflictMessage(const std::vector<NameConflict>& conflicts);

// The failures of a pass as one message, "; "-separated.
std::string JoinMessages(const std::vector<std::string>& parts);

// Creates, marks retiring, assigns shards, deletes drained pods and records
// the plan's events and a PodEnded event for each of `newly_ended`.
ActOutcome Act(const ActContext& ctx, const planner::Plan& plan,
               const std::vector<std::string>& newly_ended);

// Deletes a pod with a precondition on its uid, so that a pod recreated under
// the same name is never deleted; a pod already gone or replaced is no error.
Status DeletePod(kube::rest::Client& client, const kube::informer::PodRecord& pod);

kube::events::ObjectReference FleetRef(const kube::meta::ObjectMeta& meta);

}  // namespace agentfleet::fleet::reconciler
