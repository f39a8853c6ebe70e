#include "controller/fleet/reconciler/observe.h"

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/fleet_keys.h"
#include "controller/fleet/reconciler/source_config.h"

namespace agentfleet::fleet::reconciler {

planner::SourceFault ToSourceFault(const Error& error, bool opened) {
  planner::SourceFault fault{planner::FaultKind::kUnreadable, error.message};
  if (opened) return fault;
  if (error.reason == kCredentialsRequired) {
    fault.kind = planner::FaultKind::kCredentialsRequired;
    return fault;
  }
  switch (error.code) {
    case ErrorCode::kNotFound:
      fault.kind = planner::FaultKind::kNotFound;
      break;
    case ErrorCode::kInvalidArgument:
      fault.kind = planner::FaultKind::kInvalidConfiguration;
      break;
    case ErrorCode::kUnauthorized:
    case ErrorCode::kForbidden:
      fault.kind = planner::FaultKind::kAccessDenied;
      break;
    default:
      fault.kind = planner::FaultKind::kUnavailable;
  }
  return fault;
}

Observation Observe(const std::string& key, const api::Fleet& fleet,
                    const kube::informer::Store<kube::informer::PodRecord>& pods,
                    const FleetSources& sources, const Clock& clock) {
  Observation seen;
  seen.mono_now = clock.Now();
  seen.wall_now = clock.WallNow();
  // The label selects candidates; only the fleet's own pods (controlled by
  // this fleet's uid) are members. Another owner's pod, or an orphan, that
  // carries the label is never counted, assigned, marked or deleted.
  for (const auto& p : pods.ByIndex(kFleetIndex, key)) {
    const kube::meta::OwnerRef* owner = p->meta.ControllerOwner();
    if (owner != nullptr && owner->uid == fleet.meta.uid) seen.pods[p->meta.name] = p;
  }

  if (!sources.queue()) {
    seen.queue_fault = ToSourceFault(sources.queue_error(), /*opened=*/false);
  } else if (auto d = sources.queue()->ReadDepth()) {
    seen.depth = d->total;
  } else {
    seen.queue_fault = ToSourceFault(MakeError(d.error().code, "queue depth: " + d.error().message),
                                     /*opened=*/true);
  }

  if (!sources.leases()) {
    seen.lease_fault = ToSourceFault(sources.lease_error(), /*opened=*/false);
  } else if (auto snap = sources.leases()->Snapshot(
                 api::LeaseFleetId(fleet.meta.namespace_name, fleet.meta.name))) {
    seen.leases = std::move(*snap);
  } else {
    seen.lease_fault = ToSourceFault(
        MakeError(snap.error().code, "lease table: " + snap.error().message), /*opened=*/true);
  }
  return seen;
}

}  // namespace agentfleet::fleet::reconciler
