#pragma once

// The fleet reconciler: one pass observes a fleet (spec, cached pods, queue
// depth, lease table, now), asks the planner, applies the plan and writes the
// status. Level-triggered: every pass re-derives its actions from what it
// observes, and a converged fleet costs no API write.
//
//   Observe (observe.h) -> BuildPlanInput (plan_input.h) -> planner::MakePlan
//     -> Act (act.h) -> NextStatus, WriteStatus (write_status.h)
//
// A fleet being deleted goes through Finalize (finalizer.cpp) instead.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "controller/base/clock.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/reconciler/credential_transport.h"
#include "controller/fleet/reconciler/expectations.h"
#include "controller/fleet/reconciler/fleet_keys.h"
#include "controller/fleet/reconciler/fleet_metrics.h"
#include "controller/fleet/reconciler/fleet_record.h"
#include "controller/fleet/reconciler/fleet_sources.h"
#include "controller/fleet/reconciler/handoffs.h"
#include "controller/fleet/reconciler/observe.h"
#include "controller/fleet/reconciler/secret_cache.h"
#include "controller/fleet/reconciler/sources.h"
#include "controller/kube/controller/reconcile_result.h"
#include "controller/kube/events/recorder.h"
#include "controller/kube/informer/pod.h"
#include "controller/kube/informer/store.h"
#include "controller/kube/rest/client.h"
#include "controller/obs/log.h"

namespace agentfleet::fleet::reconciler {

struct ReconcilerOptions {
  // A created pod the cache has not shown after this long is created again.
  std::chrono::seconds expectation_timeout{300};
  // A deleted fleet's pods are deleted before its lease records; pods still
  // terminating after this long no longer hold the records back.
  std::chrono::seconds finalizer_pod_timeout{300};
  // Then its lease records are deleted; a store that cannot be reached (gone
  // with the namespace, its Secret deleted) holds the fleet this long at most.
  std::chrono::seconds finalizer_lease_timeout{60};
  // A Secret a fleet uses is read again after this long; at once when a
  // source refused or failed to open with the value held (secret_cache.h).
  std::chrono::seconds secret_refresh_interval{300};
  FleetMetrics* metrics = nullptr;  // optional
  // Where CA bundles from tls.caSecretRef are written for the TLS stack.
  std::string ca_dir = "/tmp/agentfleet-ca";
  // What the installation lends fleets of the operator's own cloud identity:
  // nothing unless --allow-operator-cloud-identity.
  OperatorIdentity operator_identity;
  // Credentials a fleet would send without TLS: refused, warned about, or allowed.
  CredentialTransport credential_transport = CredentialTransport::kWarn;
  // Asked before each write to a fleet's lease store (strangers' leases
  // revoked, a deleted fleet's records deleted); an error stops that write.
  // With leader election, the leadership gate that the API client's writes
  // pass too. Empty: always allowed.
  std::function<Status()> lease_write_gate{};
};

class Reconciler {
 public:
  // The stores must have the kFleetIndex (pods) and outlive the reconciler.
  Reconciler(kube::rest::Client& client, const kube::informer::Store<FleetRecord>& fleets,
             const kube::informer::Store<kube::informer::PodRecord>& pods,
             kube::events::EventRecorder& events, const Clock& clock, SourceFactory& sources,
             ReconcilerOptions options = {});

  // One pass over the fleet `key` ("namespace/name"), logging to `log` (the
  // controller's per-request logger). Thread-safe for distinct keys (the
  // workqueue never hands one key to two workers at once).
  kube::controller::ReconcileResult Reconcile(const std::string& key,
                                              const obs::Logger& log = obs::Logger());

 private:
  // What the reconciler remembers of a fleet between passes.
  struct FleetState {
    explicit FleetState(std::chrono::seconds expectation_timeout)
        : expectations(expectation_timeout) {}
    planner::PlannerState planner;
    std::optional<int32_t> desired;  // the last plan's count
    Expectations expectations;
    Handoffs handoffs;
    std::set<std::string> name_conflicts;  // pods whose taken name was reported last pass
    FleetSources sources;
    PodUsage usage;  // its pods' cpu and memory, when it scales on them
    std::optional<Clock::Monotonic> finalizing_since;
    int64_t generation_mark = 0;                          // see ActContext::generation_mark
    std::optional<Clock::Monotonic> lease_cleanup_since;  // the first attempt
    bool lease_cleanup_reported = false;                  // LeaseCleanupFailing sent
    std::optional<Clock::Monotonic> status_written_at;    // see kFiguresInterval
  };

  kube::controller::ReconcileResult ReconcileFleet(const std::string& key,
                                                   const FleetRecord& record, FleetState& state,
                                                   const obs::Logger& log);
  kube::controller::ReconcileResult Invalid(const FleetRecord& record, const std::string& reason,
                                            const std::string& message, const obs::Logger& log);
  void RefreshSources(const api::Fleet& fleet, const FleetRecord& record, FleetState& state);
  // The pods' PodMetrics, at most once per poll interval, into `seen`.
  void ReadPodUsage(const api::Fleet& fleet, FleetState& state, Observation& seen);
  // The lease records could not be deleted: retried within the bound, then
  // the fleet is let go with a Warning naming what stays behind.
  kube::controller::ReconcileResult LeaseCleanupFailed(const api::Fleet& fleet, FleetState& state,
                                                       const Error& error, const obs::Logger& log);
  // The finalizer removed with the lease records left in the store, and a
  // Warning Event of `reason` saying why.
  kube::controller::ReconcileResult LetGoUncleaned(const api::Fleet& fleet,
                                                   const std::string& reason,
                                                   const std::string& message,
                                                   const obs::Logger& log);
  // Under --credential-transport=tls-only: the fleet's credentials would
  // travel in clear, so nothing is opened and nothing is changed but its status.
  kube::controller::ReconcileResult RefuseClearText(const FleetRecord& record,
                                                    const api::Fleet& fleet, FleetState& state,
                                                    const std::vector<ClearTextCredential>& found,
                                                    const obs::Logger& log);
  // The clear-text credentials of the fleet that the policy refuses; empty
  // unless --credential-transport=tls-only.
  std::vector<ClearTextCredential> Refused(const api::Fleet& fleet) const;
  // Warning Events for what the next status newly says about credentials.
  void CredentialEvents(const api::Fleet& fleet, api::FleetStatus& next,
                        const std::vector<ClearTextCredential>& found);
  void Measure(const api::Fleet& fleet, const Observation& seen, const planner::Plan& plan,
               FleetState& state);
  // finalizer.cpp
  kube::controller::ReconcileResult Abandon(const FleetRecord& record, const Error& invalid,
                                            const obs::Logger& log);
  kube::controller::ReconcileResult Finalize(const std::string& key, const FleetRecord& record,
                                             const api::Fleet& fleet, FleetState& state,
                                             const obs::Logger& log);
  Status PatchFinalizers(const FleetRecord& record, bool add);

  kube::rest::Client& client_;
  const kube::informer::Store<FleetRecord>& fleets_;
  const kube::informer::Store<kube::informer::PodRecord>& pods_;
  kube::events::EventRecorder& events_;
  const Clock& clock_;
  SourceFactory& factory_;
  ReconcilerOptions options_;
  SecretCache secrets_;

  std::mutex mu_;  // guards the map, not the states: one worker per key
  std::map<std::string, std::shared_ptr<FleetState>> states_;
};

}  // namespace agentfleet::fleet::reconciler
