// The installation's credential policies on the local control plane, with a
// real Redis that needs a password (an ACL user) and a real PostgreSQL without
// TLS: credentials sent in clear are reported (warn) or refused before any
// connection (tls-only), and spec.leases.postgres.sslMode decides whether the
// plain server is reached at all.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "controller/base/base64.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/reconciler.h"
#include "controller/kube/informer/informer.h"
#include "tests/support/cluster.h"
#include "tests/support/fleet_setup.h"
#include "tests/support/wait.h"

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;
using kube::rest::resources::kSecrets;
using testing::Eventually;

constexpr const char* kPassword = "pl4nted-Transport-PASSWORD";

int RedisPort() {
  int port = testing::FixturePort("AGENTFLEET_REDIS_DIR");
  if (port == 0) ADD_FAILURE() << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
  return port;
}

std::string PostgresFile(const std::string& name) {
  const char* dir = std::getenv("AGENTFLEET_POSTGRES_DIR");
  if (dir == nullptr) {
    ADD_FAILURE() << "AGENTFLEET_POSTGRES_DIR is not set (run through ctest)";
    return "";
  }
  std::ifstream in(std::string(dir) + "/" + name);
  std::string line;
  std::getline(in, line);
  return line;
}

// Connections of a Redis ACL user, as the server counts them (CLIENT LIST).
int RedisConnectionsOf(const std::string& user) {
  std::string out;
  testing::Shell("redis-cli -p " + std::to_string(RedisPort()) + " CLIENT LIST", &out);
  int n = 0;
  for (size_t at = out.find(" user=" + user + " "); at != std::string::npos;
       at = out.find(" user=" + user + " ", at + 1)) {
    ++n;
  }
  return n;
}

class CredentialTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    client_ = testing::ClusterClient().release();
    auto installed = testing::InstallFleetCrd(*client_, "agentfleet-transport-test");
    ASSERT_TRUE(installed.ok()) << installed.error().ToString();
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
  }

  void SetUp() override {
    ns_ = std::make_unique<testing::ScopedNamespace>(*client_, "transport");
    // A user of this test only: its connections tell whether the operator connected.
    user_ = "transport-" + ns();
    ASSERT_EQ(testing::AddRedisUser(RedisPort(), user_, kPassword), 0);
    ASSERT_TRUE(client_->Create(kSecrets, ns(), testing::RedisSecret(ns(), kPassword)).ok());
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
        *client_, kube::events::RecorderOptions{.reporting_instance = "transport-test"});
  }

  void TearDown() override {
    reconciler_.reset();
    events_.reset();
    pods_.reset();
    fleets_.reset();
    testing::Shell("redis-cli -p " + std::to_string(RedisPort()) + " ACL DELUSER " + user_ +
                   " >/dev/null");
    (void)client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                         {{"metadata", {{"finalizers", nullptr}}}});
    ns_.reset();
  }

  const std::string& ns() const { return ns_->name(); }
  std::string key() const { return ns() + "/pricing"; }

  void StartReconciler(CredentialTransport policy) {
    reconciler_ = std::make_unique<Reconciler>(*client_, fleets_->store(), pods_->store(), *events_,
                                               RealClock::Instance(), factory_,
                                               ReconcilerOptions{.credential_transport = policy});
  }

  Json RedisFleet() const {
    const std::string prefix = "ct-" + ns() + ":";
    Json f = testing::RedisFleet(ns(), testing::RedisUserUrl(RedisPort(), user_), prefix + "tasks",
                                 prefix + "leases:");
    f["spec"].erase("autoscaling");
    f["spec"]["replicas"] = 2;
    f["spec"]["shards"] = 4;
    return f;
  }

  void Create(const Json& fleet) {
    auto created = client_->Create(kPricingAgentFleets, ns(), fleet);
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    ASSERT_TRUE(Eventually([&] { return fleets_->store().Get(key()) != nullptr; },
                           std::chrono::seconds(10)));
  }

  Json Condition(const std::string& type) {
    auto f = client_->Get(kPricingAgentFleets, ns(), "pricing");
    if (!f) return Json();
    for (const auto& c : (*f)["status"].value("conditions", Json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return Json();
  }

  // Passes until `ok` holds (each pass sees what the last one wrote).
  bool Converge(const std::function<bool()>& ok) {
    return Eventually(
        [&] {
          (void)reconciler_->Reconcile(key());
          return ok();
        },
        std::chrono::seconds(60));
  }

  size_t Pods() {
    auto list = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
    return list ? list->items.size() : 0;
  }

  std::vector<Json> FleetEvents(const std::string& reason) {
    events_->Flush();
    std::vector<Json> out;
    auto listed = client_->List(kube::rest::resources::kEvents, ns());
    if (!listed) return out;
    for (const auto& e : listed->items) {
      if (e.value("reason", "") == reason && e["regarding"].value("name", "") == "pricing") {
        out.push_back(e);
      }
    }
    return out;
  }

  static kube::rest::Client* client_;
  std::unique_ptr<testing::ScopedNamespace> ns_;
  std::string user_;
  DefaultSourceFactory factory_;
  std::unique_ptr<kube::informer::Informer<FleetRecord>> fleets_;
  std::unique_ptr<kube::informer::Informer<kube::informer::PodRecord>> pods_;
  std::unique_ptr<kube::events::EventRecorder> events_;
  std::unique_ptr<Reconciler> reconciler_;
};

kube::rest::Client* CredentialTransportTest::client_ = nullptr;

TEST_F(CredentialTransportTest, WarnReportsRedisAuthInClearAndWorks) {
  StartReconciler(CredentialTransport::kWarn);
  Create(RedisFleet());
  ASSERT_TRUE(Converge([&] {
    return Condition("InsecureCredentialTransport").value("status", "") == "True" && Pods() == 2;
  })) << Condition("InsecureCredentialTransport").dump();
  const std::string message = Condition("InsecureCredentialTransport").value("message", "");
  EXPECT_NE(message.find("spec.queue.redisStreams.passwordSecretRef"), std::string::npos);
  EXPECT_NE(message.find("spec.leases.redis.passwordSecretRef"), std::string::npos);
  EXPECT_EQ(message.find(kPassword), std::string::npos);
  // It works: the real Redis was reached with the password.
  EXPECT_EQ(Condition("Degraded").value("reason", ""), "AsExpected")
      << Condition("Degraded").dump();
  EXPECT_GE(RedisConnectionsOf(user_), 1);
  auto events = FleetEvents("InsecureCredentialTransport");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].value("type", ""), "Warning");
  EXPECT_EQ(events[0].value("note", ""), message);
}

TEST_F(CredentialTransportTest, TlsOnlyRefusesBeforeAnyConnection) {
  StartReconciler(CredentialTransport::kTlsOnly);
  Create(RedisFleet());
  ASSERT_TRUE(Converge([&] {
    return Condition("Ready").value("reason", "") == "InsecureCredentialTransport";
  })) << Condition("Ready").dump();
  EXPECT_EQ(Condition("Ready").value("status", ""), "False");
  EXPECT_NE(Condition("Ready").value("message", "").find("--credential-transport=tls-only"),
            std::string::npos);
  EXPECT_EQ(Condition("InsecureCredentialTransport").value("reason", ""), "Refused");
  EXPECT_EQ(RedisConnectionsOf(user_), 0) << "the password was sent to Redis";
  EXPECT_EQ(Pods(), 0u);
  EXPECT_EQ(FleetEvents("InsecureCredentialTransport").size(), 1u);
}

class PostgresSslModeTest : public CredentialTransportTest {
 protected:
  Json PostgresFleet(const std::string& ssl_mode) {
    Json secret = {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", "pricing-postgres"}, {"namespace", ns()}}},
                   {"data", {{"password", Base64Encode(PostgresFile("password"))}}}};
    EXPECT_TRUE(client_->Create(kSecrets, ns(), secret).ok());
    Json f = RedisFleet();
    f["spec"]["leases"] = {
        {"postgres",
         {{"url", "postgresql://agentfleet@127.0.0.1:" + PostgresFile("port") + "/agentfleet"},
          {"passwordSecretRef", {{"name", "pricing-postgres"}, {"key", "password"}}}}}};
    if (!ssl_mode.empty()) f["spec"]["leases"]["postgres"]["sslMode"] = ssl_mode;
    return f;
  }
};

TEST_F(PostgresSslModeTest, TlsModesAgainstAPlainServerFailClearly) {
  StartReconciler(CredentialTransport::kWarn);
  for (const std::string mode : {"require", "verify-full", ""}) {
    SCOPED_TRACE("sslMode '" + mode + "'");
    (void)client_->Delete(kSecrets, ns(), "pricing-postgres");
    (void)client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                         {{"metadata", {{"finalizers", nullptr}}}});
    (void)client_->Delete(kPricingAgentFleets, ns(), "pricing");
    ASSERT_TRUE(Eventually([&] { return fleets_->store().Get(key()) == nullptr; },
                           std::chrono::seconds(10)));
    Create(PostgresFleet(mode));
    const std::string want = mode.empty() ? "verify-full" : mode;
    ASSERT_TRUE(Converge([&] {
      const std::string m = Condition("Degraded").value("message", "");
      return m.find("(sslmode=" + want + ")") != std::string::npos;
    })) << Condition("Degraded").dump();
    Json degraded = Condition("Degraded");
    EXPECT_EQ(degraded.value("reason", ""), "LeaseStoreUnavailable");
    EXPECT_NE(degraded.value("message", "").find("server does not support SSL"), std::string::npos);
    EXPECT_EQ(Condition("InsecureCredentialTransport").value("message", "").find("postgres"),
              std::string::npos)
        << "TLS was asked for: the PostgreSQL password does not travel in clear";
  }
}

TEST_F(PostgresSslModeTest, DisableReachesThePlainServerAndSaysThePasswordIsInClear) {
  StartReconciler(CredentialTransport::kWarn);
  Create(PostgresFleet("disable"));
  ASSERT_TRUE(Converge([&] {
    return Condition("Degraded").value("reason", "") == "AsExpected" && Pods() == 2;
  })) << Condition("Degraded").dump();
  EXPECT_NE(Condition("InsecureCredentialTransport")
                .value("message", "")
                .find("spec.leases.postgres.passwordSecretRef"),
            std::string::npos);
  // The agents are told the same sslmode.
  auto list = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
  ASSERT_TRUE(list.ok());
  bool told = false;
  for (const auto& e : list->items[0]["spec"]["containers"][0]["env"]) {
    told |= e.value("name", "") == "AGENTFLEET_LEASE_STORE_SSLMODE" &&
            e.value("value", "") == "disable";
  }
  EXPECT_TRUE(told);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
