#include "tests/unit/fleet/reconciler/reconciler_fixture.h"

#include <unistd.h>

#include <filesystem>
#include <set>

#include "controller/base/base64.h"
#include "controller/fleet/api/names.h"
#include "controller/kube/informer/pod.h"
#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::fleet::reconciler::testing {

using kube::rest::resources::kEvents;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;
using kube::rest::resources::kSecrets;

ReconcilerFixture::ReconcilerFixture()
    : log_(obs::LoggerOptions{.level = obs::Level::kInfo,
                              .sink = [this](std::string_view l) { log_lines_.emplace_back(l); },
                              .clock = &clock_}) {
  AddFleetIndex(pods_);
  events_ = std::make_unique<kube::events::EventRecorder>(
      client_, kube::events::RecorderOptions{.reporting_instance = "unit"}, clock_);
  ca_dir_ = std::filesystem::temp_directory_path() / ("agentfleet-ca-" + std::to_string(getpid()));
  Restart();
}

void ReconcilerFixture::Restart() {
  reconciler_ = std::make_unique<Reconciler>(
      client_, fleets_, pods_, *events_, clock_, sources_,
      ReconcilerOptions{.expectation_timeout = std::chrono::seconds(300),
                        .finalizer_pod_timeout = std::chrono::seconds(300),
                        .metrics = &metrics_,
                        .ca_dir = ca_dir_,
                        .operator_identity = identity_,
                        .credential_transport = transport_,
                        .lease_write_gate = lease_gate_});
}

ReconcilerFixture::~ReconcilerFixture() {
  reconciler_.reset();
  events_.reset();
  std::filesystem::remove_all(ca_dir_);
}

Json ReconcilerFixture::AutoscaledFleet() {
  Json f =
      agentfleet::testing::LoadYaml(agentfleet::testing::SourcePath("examples/fleet-redis.yaml"));
  f["metadata"]["namespace"] = kNs;
  return f;
}

Json ReconcilerFixture::ManualFleet(int replicas, int shards) {
  Json f = AutoscaledFleet();
  f["spec"].erase("autoscaling");
  f["spec"]["replicas"] = replicas;
  f["spec"]["shards"] = shards;
  return f;
}

void ReconcilerFixture::Apply(const Json& fleet) {
  if (!client_.Peek(kSecrets, kNs, "pricing-redis")) {
    client_.Put(kSecrets, {{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", "pricing-redis"}, {"namespace", kNs}}},
                           {"data", {{"password", Base64Encode("s3cret-PASSWORD")}}}});
  }
  Json object = fleet;
  if (auto stored = client_.Peek(kPricingAgentFleets, kNs, kFleet)) {
    object["metadata"] = (*stored)["metadata"];
    if (stored->contains("status")) object["status"] = (*stored)["status"];
    object["metadata"].erase("generation");
  }
  client_.Put(kPricingAgentFleets, object);
}

void ReconcilerFixture::SyncFleets() {
  std::set<std::string> seen;
  for (const Json& f : client_.PeekAll(kPricingAgentFleets)) {
    auto r = std::make_shared<const FleetRecord>(ToFleetRecord(f));
    seen.insert(r->meta.Key());
    fleets_.Upsert(r->meta.Key(), r);
  }
  for (const auto& k : fleets_.Keys()) {
    if (seen.count(k) == 0) fleets_.Erase(k);
  }
}

void ReconcilerFixture::SyncPods() {
  std::set<std::string> seen;
  for (const Json& p : client_.PeekAll(kPods)) {
    auto r = std::make_shared<const kube::informer::PodRecord>(kube::informer::ToPodRecord(p));
    seen.insert(r->meta.Key());
    pods_.Upsert(r->meta.Key(), r);
  }
  for (const auto& k : pods_.Keys()) {
    if (seen.count(k) == 0) pods_.Erase(k);
  }
}

kube::controller::ReconcileResult ReconcilerFixture::Pass() {
  Sync();
  return reconciler_->Reconcile(kKey, log_);
}

void ReconcilerFixture::Converge(int replicas, int shards, std::optional<int> drain_timeout) {
  Json f = ManualFleet(replicas, shards);
  if (drain_timeout) f["spec"]["retirement"]["drainTimeoutSeconds"] = *drain_timeout;
  Apply(f);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Condition("Ready").value("status", "") == "True";
  }));
}

void ReconcilerFixture::Scale(int replicas) {
  Json f = Fleet();
  f["spec"]["replicas"] = replicas;
  client_.Put(kPricingAgentFleets, f);
}

bool ReconcilerFixture::PassUntil(const std::function<bool()>& done, int max) {
  for (int i = 0; i < max; ++i) {
    Pass();
    if (done()) return true;
    clock_.Advance(std::chrono::seconds(1));
  }
  return false;
}

std::map<std::string, Json> ReconcilerFixture::Pods() const {
  std::map<std::string, Json> out;
  for (const Json& p : client_.PeekAll(kPods, kNs)) out[p["metadata"]["name"]] = p;
  return out;
}

std::string ReconcilerFixture::Shards(const std::string& pod) const {
  auto p = client_.Peek(kPods, kNs, pod);
  if (!p) return "<gone>";
  return (*p)["metadata"]["annotations"].value(std::string(sources::protocol::kShardsAnnotation),
                                               "");
}

void ReconcilerFixture::MakeReady(const std::string& pod) {
  auto p = client_.Peek(kPods, kNs, pod);
  ASSERT_TRUE(p.has_value()) << pod;
  (*p)["status"] = {
      {"phase", "Running"},
      {"conditions",
       {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
  client_.Put(kPods, *p);
}

void ReconcilerFixture::MakeAllReady() {
  for (const auto& [name, pod] : Pods()) MakeReady(name);
}

void ReconcilerFixture::SetPhase(const std::string& pod, const std::string& phase) {
  auto p = client_.Peek(kPods, kNs, pod);
  ASSERT_TRUE(p.has_value()) << pod;
  (*p)["status"] = {{"phase", phase}};
  client_.Put(kPods, *p);
}

void ReconcilerFixture::AgentsAct() {
  auto& store = sources_.leases();
  for (const auto& [name, pod] : Pods()) {
    const kube::informer::PodRecord r = kube::informer::ToPodRecord(pod);
    const std::string holder = name + "/agent";
    if (r.meta.deleting) store.ReleaseAll(kLeaseFleet, holder);
    if (!r.ready || r.meta.deleting) continue;
    auto parsed = sources::protocol::ParseShardRanges(Shards(name), 1u << 20);
    const std::set<uint32_t> owned =
        parsed ? std::set<uint32_t>(parsed->begin(), parsed->end()) : std::set<uint32_t>{};
    std::vector<uint32_t> drop;
    for (const auto& [shard, who] : store.Holders(kLeaseFleet)) {
      if (who == holder && owned.count(shard) == 0) drop.push_back(shard);
    }
    store.Drop(kLeaseFleet, drop, holder);
    // Shards still held by their previous owner are refused until it lets go.
    store.Hold(kLeaseFleet, std::vector<uint32_t>(owned.begin(), owned.end()), holder);
  }
}

Json ReconcilerFixture::Fleet() const {
  return *client_.Peek(kPricingAgentFleets, kNs, kFleet);
}

Json ReconcilerFixture::Condition(const std::string& type) const {
  Json f = Fleet();
  for (const auto& c : f["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return Json();
}

std::vector<std::string> ReconcilerFixture::EventReasons() {
  events_->Flush();
  std::vector<std::string> out;
  for (const Json& e : client_.PeekAll(kEvents)) out.push_back(e.value("reason", ""));
  return out;
}

size_t ReconcilerFixture::FleetWrites() const {
  size_t n = 0;
  for (const auto& c : client_.Calls()) {
    if (c.IsWrite() && c.resource != "events") ++n;
  }
  return n;
}

}  // namespace agentfleet::fleet::reconciler::testing
