#pragma once

// The reconciler on the unit tier: the fake API client, the fake queue and
// lease store and a fake clock, with stores the test fills from the fake
// client when it says so (Sync), so that a test decides how stale the cache is.
// The same behaviours are exercised on the real control plane by
// tests/integration/fleet/reconciler.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/fleet/reconciler/reconciler.h"
#include "controller/obs/metrics.h"
#include "tests/support/fake_client.h"
#include "tests/support/fake_sources.h"

namespace agentfleet::fleet::reconciler::testing {

using Json = nlohmann::json;
using agentfleet::testing::FakeClient;
using agentfleet::testing::FakeSourceFactory;
using agentfleet::testing::Verb;

inline constexpr const char* kNs = "shop";
inline constexpr const char* kFleet = "pricing";
inline constexpr const char* kKey = "shop/pricing";
inline constexpr const char* kLeaseFleet = "shop/pricing";  // api::LeaseFleetId

class ReconcilerFixture : public ::testing::Test {
 protected:
  ReconcilerFixture();
  ~ReconcilerFixture() override;

  // A new reconciler, as a restarted operator process has: no memory of
  // earlier passes.
  void Restart();

  // The canonical example fleet in manual mode with `replicas` and `shards`.
  static Json ManualFleet(int replicas, int shards);
  // The canonical example fleet, autoscaling as examples/fleet-redis.yaml says.
  static Json AutoscaledFleet();
  // Stores the fleet (and the Secret it names) on the fake API server.
  void Apply(const Json& fleet);

  // The caches catch up with the fake API server.
  void Sync() {
    SyncFleets();
    SyncPods();
  }
  void SyncFleets();
  void SyncPods();
  // Sync, then one pass.
  kube::controller::ReconcileResult Pass();
  // Passes until `done` holds after a pass (at most `max` passes).
  bool PassUntil(const std::function<bool()>& done, int max = 20);
  // A fleet of `replicas` Ready agents holding all of their shards (with
  // spec.retirement.drainTimeoutSeconds when given).
  void Converge(int replicas, int shards, std::optional<int> drain_timeout = std::nullopt);
  // spec.replicas changed, the rest of the spec kept.
  void Scale(int replicas);

  // Pods as the API server holds them, by name.
  std::map<std::string, Json> Pods() const;
  std::string Shards(const std::string& pod) const;  // agentfleet.io/shards
  void MakeReady(const std::string& pod);
  void MakeAllReady();
  void SetPhase(const std::string& pod, const std::string& phase);
  // Agents: each Ready pod acquires its assigned shards that are free and
  // releases the ones it no longer owns, as pricing-agent does.
  void AgentsAct();
  Json Fleet() const;
  Json Condition(const std::string& type) const;
  // Events written so far (after a flush), as "Reason" strings.
  std::vector<std::string> EventReasons();
  // Writes of the reconciler to pods and fleets (Events excluded).
  size_t FleetWrites() const;

  FakeClock clock_;
  FakeClient client_{clock_};
  FakeSourceFactory sources_{clock_};
  kube::informer::Store<FleetRecord> fleets_;
  kube::informer::Store<kube::informer::PodRecord> pods_;
  obs::Registry registry_;
  FleetMetrics metrics_{registry_};
  std::unique_ptr<kube::events::EventRecorder> events_;
  std::vector<std::string> log_lines_;
  obs::Logger log_;
  std::unique_ptr<Reconciler> reconciler_;
  std::string ca_dir_;
  // The installation's policies, as the operator's flags set them; Restart() applies a change.
  CredentialTransport transport_ = CredentialTransport::kWarn;
  OperatorIdentity identity_;
  std::function<Status()> lease_gate_{};  // ReconcilerOptions::lease_write_gate
};

}  // namespace agentfleet::fleet::reconciler::testing
