// The fleet's deletion: the agentfleet.io/lease-cleanup finalizer holds the
// fleet until its pods are gone and its lease records deleted, or until the
// records have proved unreachable for finalizer_lease_timeout.
#include <set>
#include <vector>

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/act.h"
#include "controller/fleet/reconciler/pod_deletes.h"
#include "controller/fleet/reconciler/reconciler.h"

namespace agentfleet::fleet::reconciler {

using kube::controller::ReconcileResult;
using Json = nlohmann::json;

namespace {
constexpr std::chrono::seconds kRetryEvery{5};
}  // namespace

Status Reconciler::PatchFinalizers(const FleetRecord& record, bool add) {
  Json finalizers = Json::array();
  for (const auto& f : record.meta.finalizers) {
    if (f != api::kLeaseCleanupFinalizer) finalizers.push_back(f);
  }
  if (add) finalizers.push_back(api::kLeaseCleanupFinalizer);
  // The resourceVersion makes the list replacement conditional: another
  // writer's finalizer is never lost.
  Json patch = {
      {"metadata",
       {{"finalizers", std::move(finalizers)}, {"resourceVersion", record.meta.resource_version}}}};
  auto r = client_.Patch(kube::rest::resources::kPricingAgentFleets, record.meta.namespace_name,
                         record.meta.name, kube::rest::PatchType::kJsonMerge, patch,
                         {.field_manager = std::string(api::kFieldManager)});
  if (!r) return r.error();
  return Ok{};
}

// An unparsable fleet: reported as InvalidSpec; being deleted, it is let go,
// since without a usable spec there is no lease store to clean and holding the
// deletion forever would help no one.
ReconcileResult Reconciler::Abandon(const FleetRecord& record, const Error& invalid,
                                    const obs::Logger& log) {
  if (!record.meta.deleting) return Invalid(record, "InvalidSpec", invalid.message, log);
  const auto& f = record.meta.finalizers;
  if (std::find(f.begin(), f.end(), api::kLeaseCleanupFinalizer) == f.end()) {
    return ReconcileResult::Done();
  }
  events_.Warning(
      FleetRef(record.meta), "LeaseCleanupSkipped", "Finalize",
      "the spec is invalid, so its lease records cannot be located: " + invalid.message);
  log.Info("finalizer removed without lease cleanup", {{"error", invalid.message}});
  return ReconcileResult::FromStatus(PatchFinalizers(record, false));
}

// The agents go first: deleting the lease records while they still run would
// only let them take their shards again. Their pods would be garbage-collected
// anyway, but only once the fleet is gone.
ReconcileResult Reconciler::Finalize(const std::string& key, const FleetRecord& record,
                                     const api::Fleet& fleet, FleetState& state,
                                     const obs::Logger& log) {
  const auto now = clock_.Now();
  if (!state.finalizing_since) state.finalizing_since = now;
  size_t remaining = 0;
  std::vector<std::string> errors;
  const auto cached = pods_.ByIndex(kFleetIndex, key);
  std::vector<const kube::informer::PodRecord*> deleting;
  std::set<std::string> live;
  for (const auto& p : cached) {
    // Only the fleet's own pods: another owner's pod that carries the label
    // is neither deleted nor waited for.
    const kube::meta::OwnerRef* owner = p->meta.ControllerOwner();
    if (owner == nullptr || owner->uid != fleet.meta.uid) continue;
    ++remaining;
    if (p->meta.deleting) continue;
    live.insert(p->meta.uid);
    deleting.push_back(p.get());
  }
  // A pass started before the cache shows this process's deletes leaves them.
  state.expectations.SettleDeletes(live, now);
  std::erase_if(deleting, [&](const kube::informer::PodRecord* p) {
    return state.expectations.DeletePending(p->meta.uid);
  });
  const std::vector<Status> done = DeletePods(client_, deleting);
  for (size_t i = 0; i < deleting.size(); ++i) {
    if (done[i]) {
      state.expectations.Deleted(deleting[i]->meta.uid, now);
    } else {
      errors.push_back(done[i].error().message);
    }
  }
  if (!errors.empty()) return MakeError(ErrorCode::kUnavailable, JoinMessages(errors));
  if (remaining > 0) {
    if (now - *state.finalizing_since < options_.finalizer_pod_timeout) {
      return ReconcileResult::RequeueAfter(std::chrono::seconds(1));
    }
    events_.Warning(FleetRef(fleet.meta), "PodsStillTerminating", "Finalize",
                    std::to_string(remaining) +
                        " agent pods are still terminating; deleting the lease records anyway");
  }
  // Deleting the records means sending the lease store's password; where the
  // installation allows that over TLS only, they are left to expire.
  std::vector<ClearTextCredential> refused;
  for (auto& c : Refused(fleet)) {
    if (c.field.starts_with("spec.leases.")) refused.push_back(std::move(c));
  }
  if (!refused.empty()) {
    const std::string message =
        "the fleet's lease records were not deleted: " + ClearTextMessage(refused) +
        "; the installation allows credentials over TLS only "
        "(--credential-transport=tls-only)";
    return LetGoUncleaned(fleet, "LeaseCleanupSkipped", message, log);
  }
  // Only now: the Secrets are read once the lease store is needed, not on
  // every pass while the pods terminate.
  if (!state.lease_cleanup_since) state.lease_cleanup_since = now;
  RefreshSources(fleet, record, state);
  sources::lease::LeaseStore* leases = state.sources.leases();
  if (!leases) {
    const Error& e = state.sources.lease_error();
    return LeaseCleanupFailed(
        fleet, state, MakeError(e.code, "cannot delete the fleet's lease records: " + e.message),
        log);
  }
  if (options_.lease_write_gate) {
    if (auto may = options_.lease_write_gate(); !may) return may.error();
  }
  if (auto s = leases->DeleteFleet(api::LeaseFleetId(fleet.meta.namespace_name, fleet.meta.name));
      !s) {
    return LeaseCleanupFailed(
        fleet, state,
        MakeError(s.error().code, "deleting the fleet's lease records: " + s.error().message), log);
  }
  events_.Normal(FleetRef(fleet.meta), "LeasesDeleted", "Finalize",
                 "deleted the fleet's lease records");
  log.Info("lease records deleted");
  // The newest cached version: the finalizer patch is conditional on it.
  auto latest = fleets_.Get(fleet.meta.Key());
  if (!latest) return ReconcileResult::Done();
  if (auto s = PatchFinalizers(*latest, false); !s) return s.error();
  return ReconcileResult::Done();
}

// Retried every few seconds, not with the rate limiter's growing backoff, so
// that the bound holds to within a retry.
ReconcileResult Reconciler::LeaseCleanupFailed(const api::Fleet& fleet, FleetState& state,
                                               const Error& error, const obs::Logger& log) {
  const auto bound = options_.finalizer_lease_timeout;
  const auto waited = clock_.Now() - *state.lease_cleanup_since;
  if (waited < bound) {
    if (!state.lease_cleanup_reported) {
      state.lease_cleanup_reported = true;
      events_.Warning(FleetRef(fleet.meta), "LeaseCleanupFailing", "Finalize",
                      error.message + "; retrying for up to " + std::to_string(bound.count()) +
                          "s, then the fleet is let go without it");
    }
    log.Warn("lease cleanup failed; retrying", {{"error", error.message}});
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(bound - waited);
    return ReconcileResult::RequeueAfter(std::min<std::chrono::nanoseconds>(left, kRetryEvery));
  }
  const std::string message =
      "gave up after " + std::to_string(bound.count()) + "s: " + error.message +
      "; the lease records of fleet " +
      api::LeaseFleetId(fleet.meta.namespace_name, fleet.meta.name) +
      " stay in its lease store, where they expire as leases do (delete them by hand if the "
      "store outlives the fleet)";
  return LetGoUncleaned(fleet, "LeaseCleanupFailed", message, log);
}

ReconcileResult Reconciler::LetGoUncleaned(const api::Fleet& fleet, const std::string& reason,
                                           const std::string& message, const obs::Logger& log) {
  events_.Warning(FleetRef(fleet.meta), reason, "Finalize", message);
  log.Info("finalizer removed without lease cleanup", {{"error", message}});
  // The newest cached version: the finalizer patch is conditional on it.
  auto latest = fleets_.Get(fleet.meta.Key());
  if (!latest) return ReconcileResult::Done();
  return ReconcileResult::FromStatus(PatchFinalizers(*latest, false));
}

}  // namespace agentfleet::fleet::reconciler
