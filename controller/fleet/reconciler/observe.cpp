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
                    FleetSources& sources, const Clock& clock) {
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
  } else if (auto d = sources.ReadDepth(seen.mono_now); d.value) {
    seen.depth = d.value->total;
  } else {
    seen.queue_fault =
        ToSourceFault(MakeError(d.value.error().code, "queue depth: " + d.value.error().message),
                      /*opened=*/true);
  }
  seen.queue_tried = sources.queue_tried();

  if (!sources.leases()) {
    seen.lease_fault = ToSourceFault(sources.lease_error(), /*opened=*/false);
  } else if (auto snap = sources.ReadLeases(
                 api::LeaseFleetId(fleet.meta.namespace_name, fleet.meta.name), seen.mono_now);
             snap.value) {
    seen.leases = std::move(*snap.value);
  } else {
    seen.lease_fault = ToSourceFault(
        MakeError(snap.value.error().code, "lease table: " + snap.value.error().message),
        /*opened=*/true);
  }
  seen.leases_tried = sources.leases_tried();
  return seen;
}

}  // namespace agentfleet::fleet::reconciler
