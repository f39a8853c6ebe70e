// The reconciler in-process against the local control plane (API server,
// garbage collector, kwok nodes that make pods Ready) and a real Redis holding
// the fleet's queue and lease table.
#include "controller/fleet/reconciler/reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/kube/informer/informer.h"
#include "controller/obs/metrics.h"
#include "controller/sources/lease/store_config.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "tests/support/cluster.h"
#include "tests/support/fleet_setup.h"
#include "tests/support/wait.h"

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;
using kube::rest::resources::kSecrets;

constexpr const char* kPassword = "pl4nted-Redis-PASSWORD";
constexpr const char* kRedisUser = "fleet-reconciler-test";

using testing::Eventually;

int RedisPort() {
  int port = testing::FixturePort("AGENTFLEET_REDIS_DIR");
  if (port == 0) ADD_FAILURE() << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
  return port;
}

int RedisCli(const std::string& args, std::string* out = nullptr) {
  return testing::Shell("redis-cli -p " + std::to_string(RedisPort()) + " " + args, out);
}

class ReconcilerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    client_ = testing::ClusterClient().release();
    auto installed = testing::InstallFleetCrd(*client_, "agentfleet-reconciler-test");
    ASSERT_TRUE(installed.ok()) << installed.error().ToString();
    ASSERT_EQ(testing::AddRedisUser(RedisPort(), kRedisUser, kPassword), 0);
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
  }

  void SetUp() override {
    ns_ = std::make_unique<testing::ScopedNamespace>(*client_, "reconciler");
    prefix_ = "rt-" + ns() + ":";
    Json secret = testing::RedisSecret(ns(), kPassword);
    auto s = client_->Create(kSecrets, ns(), secret);
    ASSERT_TRUE(s.ok()) << s.error().ToString();

    fleets_ = std::make_unique<kube::informer::Informer<FleetRecord>>(
        *client_, kPricingAgentFleets, ToFleetRecord,
        kube::informer::ReflectorOptions{.namespace_name = ns()});
    pods_ = std::make_unique<kube::informer::Informer<kube::informer::PodRecord>>(
        *client_, kPods, kube::informer::ToPodRecord,
        kube::informer::ReflectorOptions{.namespace_name = ns(),
                                         .label_selector = std::string(api::kFleetLabel)});
    AddFleetIndex(pods_->store());
    fleets_->Start();
    pods_->Start();
    ASSERT_TRUE(fleets_->WaitForSync(std::chrono::seconds(30)));
    ASSERT_TRUE(pods_->WaitForSync(std::chrono::seconds(30)));
    events_ = std::make_unique<kube::events::EventRecorder>(
        *client_, kube::events::RecorderOptions{.reporting_instance = "reconciler-test"});
    reconciler_ = std::make_unique<Reconciler>(*client_, fleets_->store(), pods_->store(), *events_,
                                               RealClock::Instance(), factory_);
  }

  void TearDown() override {
    reconciler_.reset();
    events_.reset();
    pods_.reset();
    fleets_.reset();
    // Whatever the test left: the finalizer must not hold the namespace.
    (void)client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                         {{"metadata", {{"finalizers", nullptr}}}});
    ns_.reset();
  }

  const std::string& ns() const { return ns_->name(); }
  std::string key() const { return ns() + "/pricing"; }
  // The fleet's identity in the lease table (api::LeaseFleetId).
  std::string fleet_id() const { return ns() + "/pricing"; }

  std::string RedisUrl() const { return testing::RedisUserUrl(RedisPort(), kRedisUser); }

  Json Fleet(int replicas) const {
    Json f = testing::RedisFleet(ns(), RedisUrl(), prefix_ + "tasks", prefix_ + "leases:");
    f["spec"].erase("autoscaling");
    f["spec"]["replicas"] = replicas;
    f["spec"]["shards"] = 12;
    return f;
  }

  // One pass after another until `ok` holds: each pass sees what the last one did.
  bool Converge(const std::function<bool()>& ok,
                std::chrono::seconds timeout = std::chrono::seconds(60)) {
    return Eventually(
        [&] {
          last_ = reconciler_->Reconcile(key());
          return ok();
        },
        timeout);
  }

  std::vector<Json> Pods() {
    auto list = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
    if (!list) return {};
    return list->items;
  }

  Json GetFleet() {
    auto f = client_->Get(kPricingAgentFleets, ns(), "pricing");
    return f ? *f : Json();
  }

  // Shard counts of the live pods, ascending; empty when any pod's annotation
  // does not parse or the union is not every shard exactly once.
  std::vector<size_t> Balance(size_t expected_pods) {
    auto pods = Pods();
    if (pods.size() != expected_pods) return {};
    std::vector<size_t> counts;
    std::vector<int> owners(12, 0);
    for (const auto& p : pods) {
      if (p["metadata"].contains("deletionTimestamp")) return {};
      auto text = p["metadata"]["annotations"].value("agentfleet.io/shards", "");
      auto shards = sources::protocol::ParseShardRanges(text, 12);
      if (!shards) return {};
      for (uint32_t s : *shards) ++owners[s];
      counts.push_back(shards->size());
    }
    for (int o : owners) {
      if (o != 1) return {};
    }
    std::sort(counts.begin(), counts.end());
    return counts;
  }

  sources::lease::LeaseStore& Leases() {
    if (!leases_) {
      auto config = sources::lease::ParseStoreUrl(RedisUrl(), kPassword);
      EXPECT_TRUE(config.ok());
      config->key_prefix = prefix_ + "leases:";
      auto store = sources::lease::OpenLeaseStore(*config);
      EXPECT_TRUE(store.ok());
      leases_ = std::move(*store);
    }
    return *leases_;
  }

  static kube::rest::Client* client_;
  std::unique_ptr<testing::ScopedNamespace> ns_;
  std::string prefix_;
  DefaultSourceFactory factory_;
  std::unique_ptr<kube::informer::Informer<FleetRecord>> fleets_;
  std::unique_ptr<kube::informer::Informer<kube::informer::PodRecord>> pods_;
  std::unique_ptr<kube::events::EventRecorder> events_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<sources::lease::LeaseStore> leases_;
  kube::controller::ReconcileResult last_ = kube::controller::ReconcileResult::Done();
};

kube::rest::Client* ReconcilerTest::client_ = nullptr;

TEST_F(ReconcilerTest, FleetLifecycle) {
  // A backlog of 2 tasks in shard 5's stream.
  for (int s = 0; s < 12; ++s) {
    ASSERT_EQ(RedisCli("XGROUP CREATE " + prefix_ + "tasks:" + std::to_string(s) +
                       " pricing-agents 0 MKSTREAM >/dev/null"),
              0);
  }
  ASSERT_EQ(RedisCli("XADD " + prefix_ + "tasks:5 '*' sku a >/dev/null"), 0);
  ASSERT_EQ(RedisCli("XADD " + prefix_ + "tasks:5 '*' sku b >/dev/null"), 0);

  auto created = client_->Create(kPricingAgentFleets, ns(), Fleet(3));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::string uid = (*created)["metadata"]["uid"];
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));

  // --- 3 pods, 4/4/4, status written ---
  ASSERT_TRUE(Converge([&] {
    return Balance(3) == std::vector<size_t>{4, 4, 4};
  })) << "pods: "
      << Json(Pods()).dump();
  EXPECT_EQ(last_.kind(), kube::controller::ReconcileResult::Kind::kRequeueAfter);
  EXPECT_EQ(last_.requeue_after(), std::chrono::seconds(5));
  for (const auto& p : Pods()) {
    const auto& m = p["metadata"];
    ASSERT_EQ(m["ownerReferences"].size(), 1u);
    EXPECT_EQ(m["ownerReferences"][0]["uid"], uid);
    EXPECT_EQ(m["ownerReferences"][0]["controller"], true);
    EXPECT_EQ(m["ownerReferences"][0]["blockOwnerDeletion"], true);
    EXPECT_EQ(m["labels"]["app.kubernetes.io/managed-by"], "agentfleet-controller");
    EXPECT_NE(m["annotations"].value("agentfleet.io/assignment-generation", "0"), "0");
    bool volume = false;
    for (const auto& v : p["spec"]["volumes"]) {
      if (v["name"] == "agentfleet-assignment") volume = true;
    }
    EXPECT_TRUE(volume);
    std::map<std::string, Json> env;
    for (const auto& e : p["spec"]["containers"][0]["env"]) env[e["name"]] = e;
    EXPECT_EQ(env["AGENTFLEET_FLEET"]["value"], fleet_id());
    EXPECT_EQ(env["AGENTFLEET_SHARDS"]["value"], "12");
    EXPECT_EQ(env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.namespace");
    EXPECT_EQ(env["AGENTFLEET_ASSIGNMENT_FILE"]["value"], "/etc/agentfleet/annotations");
    EXPECT_EQ(env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
    EXPECT_EQ(env["AGENTFLEET_LEASE_KEY_PREFIX"]["value"], prefix_ + "leases:");
  }
  ASSERT_TRUE(Converge([&] {
    Json st = GetFleet().value("status", Json::object());
    return st.value("replicas", -1) == 3 && st.value("readyReplicas", -1) == 3 &&
           st.value("desiredReplicas", -1) == 3 && st.value("queueDepth", -1) == 2 &&
           st["shards"].value("total", -1) == 12 && st["shards"].value("assigned", -1) == 12;
  })) << GetFleet()["status"].dump();
  Json fleet = GetFleet();
  EXPECT_EQ(fleet["status"]["selector"], "agentfleet.io/fleet=pricing");
  bool finalizer = false;
  for (const auto& f : fleet["metadata"]["finalizers"]) {
    if (f == "agentfleet.io/lease-cleanup") finalizer = true;
  }
  EXPECT_TRUE(finalizer);

  // A converged fleet costs no write: its resourceVersion stays.
  std::string rv = GetFleet()["metadata"]["resourceVersion"];
  for (int i = 0; i < 3; ++i) (void)reconciler_->Reconcile(key());
  EXPECT_EQ(GetFleet()["metadata"]["resourceVersion"], rv);

  // --- scale to 5: 3/3/2/2/2 ---
  auto scaled = client_->Patch(kPricingAgentFleets, ns(), "pricing",
                               kube::rest::PatchType::kJsonMerge, {{"spec", {{"replicas", 5}}}});
  ASSERT_TRUE(scaled.ok()) << scaled.error().ToString();
  ASSERT_TRUE(Converge([&] {
    return Balance(5) == std::vector<size_t>{2, 2, 2, 3, 3};
  })) << "pods: "
      << Json(Pods()).dump();

  // --- scale to 2: every agent holds one of its shards' leases, so the
  // three retiring pods are marked and drained but kept until they let go ---
  std::map<std::string, sources::lease::Lease> held;
  for (const auto& p : Pods()) {
    std::string pod = p["metadata"]["name"];
    auto shards = sources::protocol::ParseShardRanges(
        p["metadata"]["annotations"].value("agentfleet.io/shards", ""), 12);
    ASSERT_TRUE(shards.ok() && !shards->empty());
    auto l = Leases().Acquire(fleet_id(), shards->front(), pod, std::chrono::seconds(120));
    ASSERT_TRUE(l.ok()) << l.error().ToString();
    held[pod] = *l;
  }
  scaled = client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                          {{"spec", {{"replicas", 2}}}});
  ASSERT_TRUE(scaled.ok());
  std::vector<std::string> retiring;
  auto marked = [&] {
    retiring.clear();
    for (const auto& p : Pods()) {
      if (p["metadata"]["annotations"].contains("agentfleet.io/retiring")) {
        retiring.push_back(p["metadata"]["name"]);
      }
    }
    return retiring.size() == 3 && Balance(5) == std::vector<size_t>{0, 0, 0, 6, 6};
  };
  ASSERT_TRUE(Converge(marked)) << "pods: " << Json(Pods()).dump();
  for (int i = 0; i < 5; ++i) (void)reconciler_->Reconcile(key());
  EXPECT_EQ(Pods().size(), 5u) << "a retiring pod was deleted while it held a lease";
  // The agents release: the retiring pods go.
  for (const auto& pod : retiring) {
    ASSERT_TRUE(Leases().Release(fleet_id(), held[pod].shard, pod, held[pod].token).ok());
  }
  ASSERT_TRUE(Converge(
      [&] {
        return Balance(2) == std::vector<size_t>{6, 6};
      },
      std::chrono::seconds(90)))
      << "pods: " << Json(Pods()).dump();
  for (const auto& p : Pods()) {
    std::string pod = p["metadata"]["name"];
    EXPECT_EQ(std::count(retiring.begin(), retiring.end(), pod), 0) << pod << " survived";
  }
  ASSERT_TRUE(Converge([&] { return GetFleet()["status"].value("replicas", -1) == 2; }))
      << GetFleet()["status"].dump();

  // An Event for each scale decision, on the fleet.
  events_->Flush();
  std::set<std::string> reasons;
  auto listed = client_->List(kube::rest::resources::kEvents, ns());
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  for (const auto& e : listed->items) {
    if (e["regarding"].value("kind", "") == "PricingAgentFleet" &&
        e["regarding"].value("name", "") == "pricing") {
      reasons.insert(e.value("reason", ""));
    }
  }
  EXPECT_TRUE(reasons.count("ScaledUp")) << Json(listed->items).dump();
  EXPECT_TRUE(reasons.count("ScaledDown")) << Json(listed->items).dump();

  // --- a missing Secret: a clear condition, no pod deleted, no secret leaked ---
  auto broken = client_->Patch(
      kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
      {{"spec", {{"queue", {{"redisStreams", {{"passwordSecretRef", {{"name", "missing"}}}}}}}}}});
  ASSERT_TRUE(broken.ok()) << broken.error().ToString();
  std::string message;
  ASSERT_TRUE(Converge([&] {
    for (const auto& c : GetFleet()["status"].value("conditions", Json::array())) {
      if (c["type"] == "Degraded" && c["status"] == "True") {
        message = c["message"];
        return message.find("Secret " + ns() + "/missing not found") != std::string::npos;
      }
    }
    return false;
  })) << GetFleet()["status"].dump();
  EXPECT_NE(message.find("spec.queue.redisStreams.passwordSecretRef"), std::string::npos);
  EXPECT_EQ(Pods().size(), 2u);
  EXPECT_EQ(GetFleet().dump().find(kPassword), std::string::npos);

  // --- delete: the finalizer clears the lease table, the pods are collected
  // (on a fresh control plane the garbage collector learns of the new kind
  // only at its next discovery resync, up to ~30 s) ---
  ASSERT_FALSE(Leases().Snapshot(fleet_id())->records.empty());
  ASSERT_TRUE(client_->Delete(kPricingAgentFleets, ns(), "pricing").ok());
  ASSERT_TRUE(Converge([&] {
    auto got = client_->Get(kPricingAgentFleets, ns(), "pricing");
    return !got.ok() && got.error().code == ErrorCode::kNotFound;
  })) << GetFleet().dump();
  auto snapshot = Leases().Snapshot(fleet_id());
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->records.empty());
  EXPECT_TRUE(Eventually([&] { return Pods().empty(); }, std::chrono::seconds(150)))
      << "pods not garbage-collected: " << Json(Pods()).dump();
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler

namespace agentfleet::fleet::reconciler {
namespace {

// A pod cache that never catches up: the expectations alone must keep the
// reconciler from creating a pod twice; once they expire, a create meets
// AlreadyExists, which is no error.
TEST_F(ReconcilerTest, StaleCacheNeverCreatesTwice) {
  std::atomic<int> created{0}, conflicts{0};
  auto counting = testing::ClusterClient(
      kube::rest::ClientOptions{.on_response = [&](std::string_view method, int code, double) {
        if (method == "POST" && code == 201) ++created;
        if (method == "POST" && code == 409) ++conflicts;
      }});
  kube::informer::Store<kube::informer::PodRecord> frozen;
  AddFleetIndex(frozen);

  auto fleet = client_->Create(kPricingAgentFleets, ns(), Fleet(3));
  ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));

  Reconciler remembers(*counting, fleets_->store(), frozen, *events_, RealClock::Instance(),
                       factory_);
  for (int i = 0; i < 4; ++i) {
    auto r = remembers.Reconcile(key());
    EXPECT_EQ(r.error(), nullptr) << r.error()->ToString();
  }
  EXPECT_EQ(created.load(), 3);
  EXPECT_EQ(conflicts.load(), 0);
  EXPECT_EQ(Pods().size(), 3u);

  Reconciler forgets(*counting, fleets_->store(), frozen, *events_, RealClock::Instance(), factory_,
                     {.expectation_timeout = std::chrono::seconds(-1)});
  for (int i = 0; i < 2; ++i) {
    auto r = forgets.Reconcile(key());
    EXPECT_EQ(r.error(), nullptr) << r.error()->ToString();
  }
  EXPECT_EQ(created.load(), 3);
  EXPECT_EQ(conflicts.load(), 6);  // three names, two passes
  EXPECT_EQ(Pods().size(), 3u);
  Json status = GetFleet()["status"];
  for (const auto& c : status.value("conditions", Json::array())) {
    EXPECT_NE(c.value("type", ""), "PodNameConflict") << status.dump();  // its own pods
  }
}

Json ConditionOf(const Json& fleet, const std::string& type) {
  const Json status = fleet.is_object() ? fleet.value("status", Json::object()) : Json::object();
  for (const auto& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return Json::object();
}

// Someone else's pod already named pricing-0 (no controller, not labelled for
// the fleet): the fleet reports it (PodNameConflict, Degraded, a Warning
// Event), creates its other pods, leaves the foreign pod alone, and creates
// pricing-0 once the name is free.
TEST_F(ReconcilerTest, APodNameTakenByAnotherOwnerIsReportedAndHealsWhenFreed) {
  Json squatter = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", "pricing-0"}, {"labels", {{"app", "squatter"}}}}},
                   {"spec",
                    {{"terminationGracePeriodSeconds", 0},
                     {"containers", {{{"name", "c"}, {"image", "registry.invalid/squatter:1"}}}}}}};
  auto taken = client_->Create(kPods, ns(), squatter);
  ASSERT_TRUE(taken.ok()) << taken.error().ToString();
  const std::string squatter_uid = (*taken)["metadata"]["uid"];
  auto created = client_->Create(kPricingAgentFleets, ns(), Fleet(3));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::string uid = (*created)["metadata"]["uid"];
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));

  ASSERT_TRUE(Converge([&] {
    return ConditionOf(GetFleet(), "PodNameConflict").value("status", "") == "True" &&
           Pods().size() == 2;
  })) << GetFleet()["status"].dump();
  // Not an error to retry at once: the pass ends as usual, at the poll interval.
  EXPECT_EQ(last_.kind(), kube::controller::ReconcileResult::Kind::kRequeueAfter);
  EXPECT_EQ(last_.requeue_after(), std::chrono::seconds(5));
  std::set<std::string> names;
  for (const auto& p : Pods()) names.insert(p["metadata"]["name"]);
  EXPECT_EQ(names, (std::set<std::string>{"pricing-1", "pricing-2"}));
  Json fleet = GetFleet();
  Json conflict = ConditionOf(fleet, "PodNameConflict");
  EXPECT_EQ(conflict.value("reason", ""), "PodNameTaken");
  EXPECT_NE(conflict.value("message", "")
                .find("pod pricing-0 already exists and is not this fleet's (no controller)"),
            std::string::npos)
      << conflict.dump();
  EXPECT_EQ(ConditionOf(fleet, "Degraded").value("reason", ""), "PodNameConflict");
  EXPECT_EQ(fleet["status"]["replicas"], 2);

  events_->Flush();
  ASSERT_TRUE(Eventually(
      [&] {
        auto listed = client_->List(kube::rest::resources::kEvents, ns());
        if (!listed) return false;
        for (const auto& e : listed->items) {
          if (e.value("reason", "") == "PodNameConflict" && e.value("type", "") == "Warning" &&
              e["regarding"].value("name", "") == "pricing" &&
              e.value("note", "").find("pod pricing-0") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(10)))
      << "no PodNameConflict Event";

  // The foreign pod is left as it was.
  auto still = client_->Get(kPods, ns(), "pricing-0");
  ASSERT_TRUE(still.ok()) << still.error().ToString();
  EXPECT_EQ((*still)["metadata"]["uid"], squatter_uid);
  EXPECT_FALSE((*still)["metadata"]["labels"].contains("agentfleet.io/fleet"));

  // Freed: the fleet creates its own pricing-0 and the conflict clears.
  ASSERT_TRUE(client_->Delete(kPods, ns(), "pricing-0", {.grace_period_seconds = 0}).ok());
  ASSERT_TRUE(Converge([&] {
    return Pods().size() == 3 &&
           ConditionOf(GetFleet(), "PodNameConflict").value("status", "") == "False";
  })) << GetFleet()["status"].dump();
  auto own = client_->Get(kPods, ns(), "pricing-0");
  ASSERT_TRUE(own.ok()) << own.error().ToString();
  EXPECT_EQ((*own)["metadata"]["ownerReferences"][0]["uid"], uid);
  EXPECT_EQ(ConditionOf(GetFleet(), "PodNameConflict").value("reason", ""), "NoConflict");
  EXPECT_NE(ConditionOf(GetFleet(), "Degraded").value("reason", ""), "PodNameConflict");
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler

namespace agentfleet::fleet::reconciler {
namespace {

// Autoscaling on the real stream backlog: one pod while the queue is empty,
// four once 35 tasks wait with a target of 10 per agent.
TEST_F(ReconcilerTest, AutoscalesOnQueueDepth) {
  for (int s = 0; s < 12; ++s) {
    ASSERT_EQ(RedisCli("XGROUP CREATE " + prefix_ + "tasks:" + std::to_string(s) +
                       " pricing-agents 0 MKSTREAM >/dev/null"),
              0);
  }
  Json fleet = Fleet(1);
  fleet["spec"].erase("replicas");
  fleet["spec"]["autoscaling"] = {{"minReplicas", 1},
                                  {"maxReplicas", 4},
                                  {"targetQueueDepthPerAgent", 10},
                                  {"pollIntervalSeconds", 2}};
  auto created = client_->Create(kPricingAgentFleets, ns(), fleet);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  ASSERT_TRUE(Converge([&] { return Balance(1) == std::vector<size_t>{12}; }))
      << "pods: " << Json(Pods()).dump();
  EXPECT_EQ(last_.requeue_after(), std::chrono::seconds(2));

  for (int i = 0; i < 35; ++i) {
    ASSERT_EQ(RedisCli("XADD " + prefix_ + "tasks:" + std::to_string(i % 12) + " '*' sku s" +
                       std::to_string(i) + " >/dev/null"),
              0);
  }
  ASSERT_TRUE(Converge([&] {
    return Balance(4) == std::vector<size_t>{3, 3, 3, 3};
  })) << "pods: "
      << Json(Pods()).dump() << "\nstatus: " << GetFleet()["status"].dump();
  ASSERT_TRUE(Converge([&] {
    Json st = GetFleet()["status"];
    return st.value("desiredReplicas", -1) == 4 && st.value("queueDepth", -1) == 35 &&
           st.contains("lastScaleTime");
  })) << GetFleet()["status"].dump();
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler

namespace agentfleet::fleet::reconciler {
namespace {

// The agents' side played by hand through the lease table, with holder ids
// as real agents write them ("<pod>/<suffix>"): hand-offs are timed; an agent
// that holds none of its shards for 3 lease durations (6 s) is replaced; a retiring
// pod that keeps its leases is deleted once drainTimeoutSeconds has passed.
TEST_F(ReconcilerTest, HandoffsStuckAgentsAndTheDrainTimeout) {
  obs::Registry registry;
  FleetMetrics metrics(registry);
  Reconciler r(*client_, fleets_->store(), pods_->store(), *events_, RealClock::Instance(),
               factory_, {.metrics = &metrics});
  Json fleet = Fleet(2);
  fleet["spec"]["leases"]["leaseDurationSeconds"] = 2;
  fleet["spec"]["retirement"]["drainTimeoutSeconds"] = 4;
  auto created = client_->Create(kPricingAgentFleets, ns(), fleet);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  std::vector<std::string> degraded_reasons;
  auto converge = [&](const std::function<bool()>& ok, int seconds = 60) {
    return Eventually(
        [&] {
          (void)r.Reconcile(key());
          for (const auto& c : GetFleet()["status"].value("conditions", Json::array())) {
            if (c["type"] == "Degraded" && c["status"] == "True") {
              degraded_reasons.push_back(c.value("reason", ""));
            }
          }
          return ok();
        },
        std::chrono::seconds(seconds));
  };
  auto shards_of = [&](const std::string& pod) {
    for (const auto& p : Pods()) {
      if (p["metadata"]["name"] == pod) {
        auto s = sources::protocol::ParseShardRanges(
            p["metadata"]["annotations"].value("agentfleet.io/shards", ""), 12);
        if (s) return *s;
      }
    }
    return std::vector<uint32_t>{};
  };
  auto names = [&] {
    std::set<std::string> out;
    for (const auto& p : Pods()) out.insert(p["metadata"]["name"].get<std::string>());
    return out;
  };
  auto hold_all = [&](const std::string& pod) {
    for (uint32_t s : shards_of(pod)) {
      auto l =
          Leases().Acquire(fleet_id(), s, pod + "/0123456789abcdef", std::chrono::seconds(600));
      ASSERT_TRUE(l.ok()) << l.error().ToString();
    }
  };
  auto event_on = [&](const std::string& pod, const std::string& reason) {
    events_->Flush();
    auto listed = client_->List(kube::rest::resources::kEvents, ns());
    if (!listed) return false;
    for (const auto& e : listed->items) {
      if (e["regarding"].value("kind", "") == "Pod" && e["regarding"].value("name", "") == pod &&
          e.value("reason", "") == reason) {
        return true;
      }
    }
    return false;
  };

  ASSERT_TRUE(converge([&] {
    return Balance(2) == std::vector<size_t>{6, 6};
  })) << Json(Pods()).dump();
  auto first = names();
  const std::string a = *first.begin(), b = *first.rbegin();

  // --- a's agent takes its shards: six hand-offs end and are timed ---
  hold_all(a);
  const std::string labels = "{namespace=\"" + ns() + "\",fleet=\"pricing\"}";
  ASSERT_TRUE(converge([&] {
    return registry.Render().find("agentfleet_handoff_seconds_count" + labels + " 6") !=
           std::string::npos;
  })) << registry.Render();

  // --- b's agent never takes any: after 6 s it is stuck and replaced ---
  ASSERT_TRUE(converge([&] {
    auto now = names();
    return now.size() == 2 && now.count(a) == 1 && now.count(b) == 0 &&
           Balance(2) == std::vector<size_t>{6, 6};
  })) << Json(Pods()).dump();
  EXPECT_TRUE(event_on(b, "AgentStuck"));
  EXPECT_NE(std::find(degraded_reasons.begin(), degraded_reasons.end(), "AgentStuck"),
            degraded_reasons.end());
  auto second = names();
  second.erase(a);
  const std::string c = *second.begin();

  // --- scale to 1: c (newest, holding as many as a) retires but keeps its
  // leases, so it is deleted only when the drain timeout passes ---
  hold_all(c);
  ASSERT_TRUE(client_
                  ->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                          {{"spec", {{"replicas", 1}}}})
                  .ok());
  auto marked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(converge([&] {
    for (const auto& p : Pods()) {
      if (p["metadata"]["name"] == c &&
          p["metadata"]["annotations"].contains("agentfleet.io/retiring")) {
        marked_at = std::chrono::steady_clock::now();
        return true;
      }
    }
    return false;
  })) << Json(Pods()).dump();
  ASSERT_TRUE(converge([&] { return names().count(c) == 0; }, 30)) << Json(Pods()).dump();
  auto waited = std::chrono::steady_clock::now() - marked_at;
  EXPECT_GE(waited, std::chrono::seconds(3)) << "deleted before the drain timeout";
  EXPECT_TRUE(event_on(c, "DrainTimeout"));
  EXPECT_EQ(names(), std::set<std::string>{a});
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler

namespace agentfleet::fleet::reconciler {
namespace {

// A pod whose agent ended (phase Failed) is replaced, as a ReplicaSet would:
// marked retiring, its shards reassigned, deleted once it holds no lease.
TEST_F(ReconcilerTest, EndedPodsAreReplaced) {
  auto created = client_->Create(kPricingAgentFleets, ns(), Fleet(2));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  ASSERT_TRUE(Converge([&] {
    return Balance(2) == std::vector<size_t>{6, 6};
  })) << Json(Pods()).dump();
  const std::string failed = Pods()[0]["metadata"]["name"];
  const std::string uid = Pods()[0]["metadata"]["uid"];
  auto patched = client_->Patch(kPods, ns(), failed, kube::rest::PatchType::kJsonMerge,
                                {{"status", {{"phase", "Failed"}}}}, {.subresource = "status"});
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  ASSERT_TRUE(Converge([&] {
    for (const auto& p : Pods()) {
      if (p["metadata"]["uid"] == uid) return false;
    }
    return Balance(2) == std::vector<size_t>{6, 6};
  })) << Json(Pods()).dump();
  events_->Flush();
  auto listed = client_->List(kube::rest::resources::kEvents, ns());
  ASSERT_TRUE(listed.ok());
  bool event = false;
  for (const auto& e : listed->items) {
    event |= e["regarding"].value("name", "") == failed && e.value("reason", "") == "PodEnded";
  }
  EXPECT_TRUE(event) << Json(listed->items).dump();
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler

namespace agentfleet::fleet::reconciler {
namespace {

// Creates go in slow-start batches (1, 2, 4, ...) that stop at the first
// refusal, here a ResourceQuota of 2 pods; without it the next pass creates
// the rest.
TEST_F(ReconcilerTest, CreatesInSlowStartBatches) {
  std::atomic<int> posts{0};
  auto counting = testing::ClusterClient(
      kube::rest::ClientOptions{.on_response = [&](std::string_view method, int, double) {
        if (method == "POST") ++posts;
      }});
  Json quota = {{"apiVersion", "v1"},
                {"kind", "ResourceQuota"},
                {"metadata", {{"name", "two-pods"}, {"namespace", ns()}}},
                {"spec", {{"hard", {{"pods", "2"}}}}}};
  ASSERT_TRUE(client_->Create({"", "v1", "resourcequotas", true}, ns(), quota).ok());
  auto created = client_->Create(kPricingAgentFleets, ns(), Fleet(7));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  // The quota controller must have counted the namespace before it refuses.
  ASSERT_TRUE(Eventually(
      [&] {
        auto q = client_->Get({"", "v1", "resourcequotas", true}, ns(), "two-pods");
        return q.ok() && q->contains("status") && (*q)["status"].contains("used");
      },
      std::chrono::seconds(30)));

  Reconciler counted(*counting, fleets_->store(), pods_->store(), *events_, RealClock::Instance(),
                     factory_);
  posts = 0;
  auto r = counted.Reconcile(key());
  // Batch 1 (one pod) and batch 2 (one created, one refused): three POSTs, not seven.
  EXPECT_EQ(posts.load(), 3);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_NE(r.error()->message.find("exceeded quota"), std::string::npos) << r.error()->message;
  EXPECT_TRUE(Eventually([&] { return Pods().size() == 2; }, std::chrono::seconds(10)));

  // Without the quota: batches of 1, 2 and 2 create the other 5 in one pass.
  ASSERT_TRUE(client_->Delete({"", "v1", "resourcequotas", true}, ns(), "two-pods").ok());
  ASSERT_TRUE(Eventually([&] { return pods_->store().ByIndex(kFleetIndex, key()).size() == 2; },
                         std::chrono::seconds(10)));
  posts = 0;
  r = counted.Reconcile(key());
  ASSERT_EQ(r.error(), nullptr) << r.error()->ToString();
  EXPECT_EQ(posts.load(), 5);
  EXPECT_EQ(r.requeue_after(), std::chrono::seconds(5));
  EXPECT_TRUE(Eventually([&] { return Pods().size() == 7; }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler

namespace agentfleet::fleet::reconciler {
namespace {

// In a namespace that enforces the restricted Pod Security Standard (the API
// server's PodSecurity admission), the fleet's pods are admitted: the operator
// fills in the security settings the template leaves unset. A template that
// asks for privilege escalation is the author's choice and is refused by the
// API server, which the pass reports.
TEST_F(ReconcilerTest, PodsPassTheRestrictedPodSecurityStandard) {
  auto labelled = client_->Patch(
      kube::rest::resources::kNamespaces, "", ns(), kube::rest::PatchType::kJsonMerge,
      {{"metadata", {{"labels", {{"pod-security.kubernetes.io/enforce", "restricted"}}}}}});
  ASSERT_TRUE(labelled.ok()) << labelled.error().ToString();
  auto created = client_->Create(kPricingAgentFleets, ns(), Fleet(2));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  ASSERT_TRUE(Converge([&] {
    return Balance(2) == std::vector<size_t>{6, 6};
  })) << Json(Pods()).dump();
  for (const auto& p : Pods()) {
    EXPECT_EQ(p["spec"]["securityContext"]["runAsNonRoot"], true);
    EXPECT_EQ(p["spec"].value("automountServiceAccountToken", true), false);
  }

  Json escalate = {
      {"spec",
       {{"replicas", 3},
        {"template",
         {{"spec",
           {{"containers",
             Json::array({{{"name", "agent"},
                           {"image", "agentfleet/pricing-agent:0.1.0"},
                           {"securityContext", {{"allowPrivilegeEscalation", true}}}}})}}}}}}}};
  auto patched = client_->Patch(kPricingAgentFleets, ns(), "pricing",
                                kube::rest::PatchType::kJsonMerge, escalate);
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  ASSERT_TRUE(Eventually(
      [&] {
        auto f = fleets_->store().Get(key());
        return f != nullptr && f->object["spec"].value("replicas", 0) == 3;
      },
      std::chrono::seconds(10)));
  auto r = reconciler_->Reconcile(key());
  ASSERT_NE(r.error(), nullptr);
  EXPECT_NE(r.error()->message.find("violates PodSecurity"), std::string::npos)
      << r.error()->message;
  EXPECT_NE(r.error()->message.find("allowPrivilegeEscalation"), std::string::npos)
      << r.error()->message;
  EXPECT_EQ(Pods().size(), 2u);
  // The fleet says why, in the API server's words, and one Event says it once.
  Json degraded = Json::object();
  const Json fleet = GetFleet();
  for (const auto& c : fleet["status"].value("conditions", Json::array())) {
    if (c["type"] == "Degraded") degraded = c;
  }
  EXPECT_EQ(degraded.value("status", ""), "True") << degraded.dump();
  EXPECT_EQ(degraded.value("reason", ""), "FailedCreate");
  EXPECT_NE(degraded.value("message", "").find("violates PodSecurity"), std::string::npos)
      << degraded.dump();
  events_->Flush();
  auto listed = client_->List(kube::rest::resources::kEvents, ns());
  ASSERT_TRUE(listed.ok());
  int failed_create = 0;
  for (const auto& e : listed->items) failed_create += e.value("reason", "") == "FailedCreate";
  EXPECT_EQ(failed_create, 1) << Json(listed->items).dump();
}

// GETs of Secrets the API server has answered, from its own
// apiserver_request_total: in this tier only the reconciler under test reads
// Secrets.
double SecretGets() {
  std::string text;
  if (testing::RunTool("kubectl", "get --raw /metrics", &text) != 0) return -1;
  double total = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("apiserver_request_total{") &&
        line.find("resource=\"secrets\"") != std::string::npos &&
        line.find("verb=\"GET\"") != std::string::npos) {
      total += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return total;
}

TEST_F(ReconcilerTest, SecretsAreReadOnRefusalNotEveryPass) {
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), Fleet(1)).ok());
  auto healthy = [&] {
    for (const auto& c : GetFleet()["status"].value("conditions", Json::array())) {
      if (c["type"] == "Degraded") return c["status"] == "False";
    }
    return false;
  };
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  ASSERT_TRUE(Converge(healthy)) << GetFleet()["status"].dump();

  // Converged passes: the Secret is not read again (its refresh interval is 300 s).
  const double before = SecretGets();
  ASSERT_GE(before, 1);
  for (int i = 0; i < 10; ++i) last_ = reconciler_->Reconcile(key());
  EXPECT_EQ(SecretGets(), before);

  // The password rotated in Redis and in the Secret; the operator's
  // connection dropped. Its reconnect is refused with the cached password,
  // and the Secret is read again at once: healthy again long before the
  // refresh interval.
  struct Restore {
    ~Restore() { testing::AddRedisUser(RedisPort(), kRedisUser, kPassword); }
  } restore;
  const std::string rotated = "r0tated-Redis-PASSWORD";
  ASSERT_EQ(RedisCli(std::string("ACL SETUSER ") + kRedisUser + " resetpass '>" + rotated +
                     "' >/dev/null"),
            0);
  ASSERT_EQ(RedisCli(std::string("CLIENT KILL USER ") + kRedisUser + " >/dev/null"), 0);
  ASSERT_TRUE(client_->Update(kSecrets, ns(), testing::RedisSecret(ns(), rotated)).ok());
  bool refused = false;
  ASSERT_TRUE(Converge(
      [&] {
        const std::string status = GetFleet()["status"].dump();
        refused = refused || status.find("WRONGPASS") != std::string::npos ||
                  status.find("AccessDenied") != std::string::npos;
        return refused && healthy();
      },
      std::chrono::seconds(30)))
      << GetFleet()["status"].dump();
  EXPECT_EQ(GetFleet().dump().find(rotated), std::string::npos);
}

// A new pod is created with its shards (those a Ready pod works are lent
// until it is Ready); one that cannot start (here: every node cordoned, so it
// stays Pending) gives them up 3 lease durations after its creation, and
// takes shards again once Ready.
TEST_F(ReconcilerTest, APodThatCannotStartGivesItsShardsBackWithinTheBound) {
  auto shards_of = [&](const std::string& pod) {
    auto got = client_->Get(kPods, ns(), pod);
    return got ? (*got)["metadata"]["annotations"].value("agentfleet.io/shards", "?")
               : std::string("gone");
  };
  Json fleet = Fleet(1);
  fleet["spec"]["leases"]["leaseDurationSeconds"] = 2;  // the bound: 6 s
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), fleet).ok());
  ASSERT_TRUE(
      Eventually([&] { return fleets_->store().Get(key()) != nullptr; }, std::chrono::seconds(10)));
  ASSERT_TRUE(Converge([&] { return GetFleet()["status"].value("readyReplicas", -1) == 1; }))
      << GetFleet()["status"].dump();
  ASSERT_EQ(shards_of("pricing-0"), "0-11");
  // pricing-0's agent, played by the test: it holds its shards, so that it
  // is not found stuck (3 lease durations without one) while this runs.
  std::vector<uint32_t> all(12);
  for (uint32_t s = 0; s < 12; ++s) all[s] = s;
  ASSERT_TRUE(
      Leases().AcquireMany(fleet_id(), all, "pricing-0/test", std::chrono::minutes(5)).ok());

  struct Uncordon {
    ~Uncordon() { testing::RunTool("kubectl", "uncordon -l type=kwok"); }
  } uncordon;
  ASSERT_EQ(testing::RunTool("kubectl", "cordon -l type=kwok"), 0);
  ASSERT_TRUE(client_
                  ->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                          {{"spec", {{"replicas", 2}}}})
                  .ok());
  ASSERT_TRUE(Converge([&] { return shards_of("pricing-1") == "6-11"; }, std::chrono::seconds(20)))
      << shards_of("pricing-1");
  const auto created = std::chrono::steady_clock::now();
  // Lent: pricing-0 keeps working them while pricing-1 starts.
  EXPECT_EQ(shards_of("pricing-0"), "0-11");
  ASSERT_TRUE(Converge([&] { return shards_of("pricing-1").empty(); }, std::chrono::seconds(30)));
  const double after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - created).count();
  EXPECT_GE(after, 5.0) << "given back before the bound";
  EXPECT_EQ(shards_of("pricing-0"), "0-11");

  ASSERT_EQ(testing::RunTool("kubectl", "uncordon -l type=kwok"), 0);
  ASSERT_TRUE(Converge([&] { return shards_of("pricing-1") == "6-11"; }, std::chrono::seconds(30)))
      << shards_of("pricing-1");
  EXPECT_EQ(shards_of("pricing-0"), "0-5");
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
