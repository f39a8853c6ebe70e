#pragma once

// The fleet reconciler: observes a fleet (spec, cached pods, queue depth,
// lease table, now), asks the planner, and applies the plan idempotently.
// Level-triggered: every pass re-derives its actions from what it observes,
// and a converged fleet costs no API write.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "controller/base/clock.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/planner/planner.h"
#include "controller/fleet/reconciler/fleet_metrics.h"
#include "controller/fleet/reconciler/fleet_record.h"
#include "controller/fleet/reconciler/sources.h"
#include "controller/kube/controller/reconcile_result.h"
#include "controller/kube/events/recorder.h"
#include "controller/kube/informer/pod.h"
#include "controller/kube/informer/store.h"
#include "controller/kube/rest/client.h"
#include "controller/obs/log.h"

namespace agentfleet::fleet::reconciler {

// The pod store's index of the fleet a pod belongs to: "namespace/fleet" from
// the agentfleet.io/fleet label.
inline constexpr const char* kFleetIndex = "fleet";
void AddFleetIndex(kube::Store<kube::PodRecord>& pods);

// The key of the fleet a pod belongs to: its controller owner when that is a
// PricingAgentFleet, else its fleet label; nullopt for neither.
std::optional<std::string> FleetKeyOfPod(const kube::PodRecord& pod);

struct ReconcilerOptions {
  // A created pod the cache has not shown after this long is created again.
  std::chrono::seconds expectation_timeout{300};
  // A deleted fleet's pods are deleted before its lease records; pods still
  // terminating after this long no longer hold the records back.
  std::chrono::seconds finalizer_pod_timeout{300};
  FleetMetrics* metrics = nullptr;  // optional
  // Where CA bundles from tls.caSecretRef are written for the TLS stack.
  std::string ca_dir = "/tmp/agentfleet-ca";
  obs::Logger log{};
};

class Reconciler {
 public:
  // The stores must have the kFleetIndex (pods) and outlive the reconciler.
  Reconciler(kube::Client& client, const kube::Store<FleetRecord>& fleets,
             const kube::Store<kube::PodRecord>& pods, kube::EventRecorder& events,
             const Clock& clock, SourceFactory& sources, ReconcilerOptions options = {});

  // Thread-safe for distinct keys (the workqueue never hands one key to two
  // workers at once).
  kube::controller::ReconcileResult Reconcile(const std::string& key);

 private:
  struct WrittenAssignment {
    std::string resource_version_before;  // the cached version our patch replaced
    std::string shards;
    int64_t generation = 0;
  };
  struct Sources {
    size_t fingerprint = 0;
    std::unique_ptr<sources::queue::QueueSource> queue;
    std::unique_ptr<sources::lease::LeaseStore> leases;
    Error queue_error, lease_error;
    bool queue_ok = false, leases_ok = false;
  };
  struct FleetState {
    planner::PlannerState planner;
    std::optional<int32_t> desired;                    // the last plan's count
    std::map<std::string, Clock::Monotonic> created;   // expectations: created, not yet cached
    std::map<std::string, WrittenAssignment> written;  // assignments not yet cached
    std::map<std::string, std::string> marked;  // pod -> cached version the retiring mark replaced
    std::map<uint32_t, std::pair<std::string, Clock::Monotonic>> handoffs;  // shard -> new owner
    Sources sources;
    std::optional<Clock::Monotonic> finalizing_since;
  };

  kube::controller::ReconcileResult ReconcileFleet(const std::string& key,
                                                   const FleetRecord& record, FleetState& state);
  kube::controller::ReconcileResult Invalid(const FleetRecord& record, const std::string& reason,
                                            const std::string& message);
  kube::controller::ReconcileResult Finalize(const std::string& key, const FleetRecord& record,
                                             const api::Fleet& fleet, FleetState& state);
  Status DeletePod(const kube::PodRecord& pod);
  Status PatchFinalizers(const FleetRecord& record, bool add);
  Status WriteStatus(const std::string& ns, const std::string& name,
                     const api::FleetStatus& current, const api::FleetStatus& next);
  void RefreshSources(const api::Fleet& fleet, const nlohmann::json& object, FleetState& state);
  kube::ObjectReference FleetRef(const kube::ObjectMeta& meta) const;

  kube::Client& client_;
  const kube::Store<FleetRecord>& fleets_;
  const kube::Store<kube::PodRecord>& pods_;
  kube::EventRecorder& events_;
  const Clock& clock_;
  SourceFactory& factory_;
  ReconcilerOptions options_;

  std::mutex mu_;  // guards the map, not the states: one worker per key
  std::map<std::string, std::shared_ptr<FleetState>> states_;
};

}  // namespace agentfleet::fleet::reconciler
