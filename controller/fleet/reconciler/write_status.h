#pragma once

// The last phase of a pass: the fleet's status, written through the status
// subresource only when it differs from the stored one, so that a converged
// fleet costs no write (and its own write never wakes the fleet again).

#include <string>

#include "controller/base/result.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/reconciler/observe.h"
#include "controller/kube/rest/client.h"
#include "controller/obs/log.h"

namespace agentfleet::fleet::reconciler {

// The status after a pass that created `created` pods and met the name
// conflicts `conflict_message` describes (empty: none).
api::FleetStatus NextStatus(const api::Fleet& fleet, const Observation& seen,
                            const planner::Plan& plan, size_t created,
                            const std::string& conflict_message = {});

// Writes `next` when it differs from `current`; logs the conditions that
// changed.
Status WriteStatus(kube::rest::Client& client, const obs::Logger& log,
                   const kube::meta::ObjectMeta& fleet, const api::FleetStatus& current,
                   const api::FleetStatus& next);

}  // namespace agentfleet::fleet::reconciler
