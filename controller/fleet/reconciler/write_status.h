#pragma once

// The last phase of a pass: the fleet's status, written through the status
// subresource only when it differs from the stored one, so that a converged
// fleet costs no write (and its own write never wakes the fleet again).

#include <chrono>
#include <string>

#include "controller/base/result.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/reconciler/act.h"
#include "controller/fleet/reconciler/observe.h"
#include "controller/kube/rest/client.h"
#include "controller/obs/log.h"

namespace agentfleet::fleet::reconciler {

// The status after a pass whose writes went as `done` says: the pods it
// created, the creates refused (Degraded FailedCreate) and the names taken
// (PodNameConflict).
api::FleetStatus NextStatus(const api::Fleet& fleet, const Observation& seen,
                            const planner::Plan& plan, const ActOutcome& done);

// The status's figures (pod and shard counts, the queue's depth, the
// assignment generation, condition messages) move on almost every pass of a
// scale-up; a change of figures alone is written at most once per
// kFiguresInterval, so that a large scale-up spends its writes on pods.
inline constexpr std::chrono::seconds kFiguresInterval{1};

// Whether `next` differs from `current` in figures only: no condition turned
// (type, status, reason), no generation observed, no scale decided.
bool OnlyFiguresDiffer(const api::FleetStatus& current, const api::FleetStatus& next);

// Writes `next` when it differs from `current`; logs the conditions that
// changed.
Status WriteStatus(kube::rest::Client& client, const obs::Logger& log,
                   const kube::meta::ObjectMeta& fleet, const api::FleetStatus& current,
                   const api::FleetStatus& next);

}  // namespace agentfleet::fleet::reconciler
