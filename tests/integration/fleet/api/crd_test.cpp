// The shipped CRD against a real API server (envtest-style): it installs, the
// canonical example is accepted, shards are immutable, kubectl
// explain/scale/get read well, and the operator's status JSON is accepted and
// parsed back. Invalid fleets and their messages: admission_corpus_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/fleet/api/status_json.h"
#include "controller/kube/meta/time.h"
#include "controller/kube/rest/client.h"
#include "tests/support/cluster.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::fleet::api {
namespace {

using Json = nlohmann::json;
using kube::rest::resources::kCustomResourceDefinitions;
using kube::rest::resources::kPricingAgentFleets;
using kube::rest::resources::kSecrets;
using testing::LoadYaml;
using testing::RunTool;
using testing::SourcePath;

constexpr auto kFieldManagerForTests = "agentfleet-crd-test";

// Polls `ok` every 200 ms for up to `timeout`.
bool Eventually(const std::function<bool()>& ok, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return ok();
}

class CrdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    client_ = testing::ClusterClient().release();
    // Server-side apply: installs the CRD, or brings an older copy up to date.
    Json crd = LoadYaml(SourcePath("crds/agentfleet.io_pricingagentfleets.yaml"));
    auto applied = client_->Patch(kCustomResourceDefinitions, "", std::string(kCrdName),
                                  kube::rest::PatchType::kApply, crd,
                                  {.field_manager = kFieldManagerForTests, .force = true});
    ASSERT_TRUE(applied.ok()) << applied.error().ToString();
    bool established = Eventually(
        [] {
          auto got = client_->Get(kCustomResourceDefinitions, "", std::string(kCrdName));
          if (!got.ok()) return false;
          for (const auto& c : (*got)["status"].value("conditions", Json::array())) {
            if (c.value("type", "") == "Established" && c.value("status", "") == "True") {
              return true;
            }
          }
          return false;
        },
        std::chrono::seconds(60));
    ASSERT_TRUE(established) << "the CRD never became Established";
    // Established comes a moment before the resource is served.
    ASSERT_TRUE(Eventually([] { return client_->List(kPricingAgentFleets, "default").ok(); },
                           std::chrono::seconds(30)));
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
  }

  void SetUp() override { ns_ = std::make_unique<testing::ScopedNamespace>(*client_, "crd"); }
  void TearDown() override { ns_.reset(); }

  const std::string& ns() const { return ns_->name(); }

  static Json Example() { return LoadYaml(SourcePath("examples/fleet-redis.yaml")); }

  // A manual-mode fleet (no autoscaling) named `name`.
  static Json Manual(const std::string& name, int replicas) {
    Json j = Example();
    j["metadata"]["name"] = name;
    j["spec"].erase("autoscaling");
    j["spec"]["replicas"] = replicas;
    return j;
  }

  Result<Json> CreateFleet(const Json& fleet) {
    return client_->Create(kPricingAgentFleets, ns(), fleet);
  }

  std::string Kubectl(const std::string& args, int* rc = nullptr) {
    std::string out;
    int code = RunTool("kubectl", args + " -n " + ns(), &out);
    if (rc != nullptr) *rc = code;
    return out;
  }

  static kube::rest::Client* client_;
  std::unique_ptr<testing::ScopedNamespace> ns_;
};

kube::rest::Client* CrdTest::client_ = nullptr;

TEST_F(CrdTest, CanonicalExampleIsAcceptedWithDefaultsAndParses) {
  Json secret = LoadYaml(SourcePath("examples/fleet-redis-secret.yaml"));
  auto s = client_->Create(kSecrets, ns(), secret);
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  Json example = Example();
  example["spec"].erase("retirement");  // to see the server default it
  auto created = CreateFleet(example);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ((*created)["spec"]["retirement"]["drainTimeoutSeconds"], 300);
  EXPECT_EQ((*created)["spec"]["autoscaling"]["pollIntervalSeconds"], 5);
  // Unknown PodSpec fields survive (preserve-unknown-fields), so the pods get them.
  EXPECT_EQ((*created)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(
      (*created)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
      "256Mi");

  auto fleet = ParseFleet(*created);
  ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
  EXPECT_EQ(fleet->meta.namespace_name, ns());
  EXPECT_EQ(fleet->spec.shards, 64);
  EXPECT_EQ(std::get<RedisStreamsQueue>(fleet->spec.queue).password_secret_ref->name,
            secret["metadata"]["name"]);
}

TEST_F(CrdTest, ShardsAreImmutable) {
  auto created = CreateFleet(Manual("fixed", 2));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Json changed = *created;
  changed["spec"]["shards"] = 128;
  auto r = client_->Update(kPricingAgentFleets, ns(), changed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 422) << r.error().ToString();
  EXPECT_NE(r.error().message.find("spec.shards is immutable"), std::string::npos)
      << r.error().message;
  // Other fields still change.
  changed["spec"]["shards"] = 64;
  changed["spec"]["replicas"] = 3;
  auto ok = client_->Update(kPricingAgentFleets, ns(), changed);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
}

TEST_F(CrdTest, StatusFromTheOperatorIsAcceptedAndReadBack) {
  auto created = CreateFleet(Manual("status", 2));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  FleetStatus st;
  st.observed_generation = (*created)["metadata"]["generation"].get<int64_t>();
  st.replicas = 2;
  st.ready_replicas = 1;
  st.desired_replicas = 2;
  st.queue_depth = 42;
  st.last_scale_time = kube::meta::ParseTime("2026-01-02T03:04:05Z").value();
  st.shards = {64, 64, 30, 3, 34};
  st.selector = PodSelector("status");
  st.conditions.push_back({std::string(kConditionReady), ConditionStatus::kFalse,
                           st.observed_generation,
                           kube::meta::ParseTime("2026-01-02T03:04:05Z").value(), "ShardsUnowned",
                           "34 shards have no holder"});
  st.conditions.push_back(
      {std::string(kConditionScalingLimited), ConditionStatus::kFalse, st.observed_generation,
       kube::meta::ParseTime("2026-01-02T03:04:05Z").value(), "WithinLimits", ""});
  auto patched =
      client_->Patch(kPricingAgentFleets, ns(), "status", kube::rest::PatchType::kJsonMerge,
                     StatusMergePatch(st), {.subresource = "status"});
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  auto back = ParseFleet(*patched);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->status, st);

  // Clearing an optional through the merge patch removes it.
  st.queue_depth.reset();
  patched = client_->Patch(kPricingAgentFleets, ns(), "status", kube::rest::PatchType::kJsonMerge,
                           StatusMergePatch(st), {.subresource = "status"});
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  EXPECT_FALSE((*patched)["status"].contains("queueDepth"));

  // The scale subresource reports the selector for an HPA.
  auto scale = client_->Get(kPricingAgentFleets, ns(), "status", "scale");
  ASSERT_TRUE(scale.ok()) << scale.error().ToString();
  EXPECT_EQ((*scale)["status"]["selector"], "agentfleet.io/fleet=status");
  EXPECT_EQ((*scale)["status"]["replicas"], 2);
}

TEST_F(CrdTest, KubectlScaleChangesSpecReplicasInManualMode) {
  ASSERT_TRUE(CreateFleet(Manual("manual", 1)).ok());
  int rc = 0;
  std::string out = Kubectl("scale paf/manual --replicas=3", &rc);
  ASSERT_EQ(rc, 0) << out;
  auto got = client_->Get(kPricingAgentFleets, ns(), "manual");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ((*got)["spec"]["replicas"], 3);

  // Scaling past the shard count is refused by the same rule as an edit.
  out = Kubectl("scale paf/manual --replicas=65", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("spec.replicas must not exceed spec.shards"), std::string::npos) << out;

  // An autoscaled fleet refuses a manual scale with a clear message.
  Json autoscaled = Example();
  autoscaled["metadata"]["name"] = "auto";
  ASSERT_TRUE(CreateFleet(autoscaled).ok());
  out = Kubectl("scale paf/auto --replicas=3", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("mutually exclusive"), std::string::npos) << out;
}

// kubectl wraps descriptions: compare with runs of white space as one space.
std::string Squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && !out.empty() && out.back() == ' ') continue;
    out += space ? ' ' : c;
  }
  return out;
}

TEST_F(CrdTest, KubectlExplainReadsWell) {
  std::string out;
  // The CRD's schema reaches the published OpenAPI a moment after it is established.
  bool ok = Eventually(
      [&] {
        int rc = RunTool("kubectl", "explain pricingagentfleet.spec.autoscaling", &out);
        return rc == 0 && out.find("maxReplicas") != std::string::npos;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(ok) << out;
  for (const char* want : {"Scales the fleet on the depth of its queue", "minReplicas",
                           "Fewest agent pods", "targetQueueDepthPerAgent", "pollIntervalSeconds",
                           "behavior", "fallback", "<integer>", "-required-"}) {
    EXPECT_NE(Squeeze(out).find(want), std::string::npos) << want << " not in:\n" << out;
  }
  ASSERT_EQ(RunTool("kubectl", "explain paf.spec.queue.sqs.credentialsSecretRef", &out), 0) << out;
  EXPECT_NE(out.find("accessKeyIDKey"), std::string::npos) << out;
  ASSERT_EQ(RunTool("kubectl", "explain pricingagentfleets.status.shards.moving", &out), 0) << out;
  EXPECT_NE(Squeeze(out).find("previous holder still holds the lease"), std::string::npos) << out;
}

TEST_F(CrdTest, PrinterColumns) {
  auto created = CreateFleet(Manual("cols", 2));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  FleetStatus st;
  st.desired_replicas = 2;
  st.ready_replicas = 1;
  st.queue_depth = 777;
  st.shards = {64, 64, 61, 3, 3};
  st.last_scale_time = kube::meta::ParseTime("2026-01-02T03:04:05Z").value();
  st.conditions.push_back({std::string(kConditionReady), ConditionStatus::kFalse, 1,
                           kube::meta::ParseTime("2026-01-02T03:04:05Z").value(), "ShardsMoving",
                           "3 moving"});
  ASSERT_TRUE(client_
                  ->Patch(kPricingAgentFleets, ns(), "cols", kube::rest::PatchType::kJsonMerge,
                          StatusMergePatch(st), {.subresource = "status"})
                  .ok());
  int rc = 0;
  std::string plain = Kubectl("get paf", &rc);
  ASSERT_EQ(rc, 0) << plain;
  std::string header = plain.substr(0, plain.find('\n'));
  for (const char* col : {"NAME", "DESIRED", "READY", "QUEUE DEPTH", "MOVING", "STATUS", "AGE"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col << " not in " << header;
  }
  for (const char* col : {"SHARDS", "HELD", "UNOWNED", "LAST SCALE"}) {
    EXPECT_EQ(header.find(col), std::string::npos) << col << " in the narrow view: " << header;
  }
  std::string row = plain.substr(plain.find('\n') + 1);
  EXPECT_NE(row.find("777"), std::string::npos) << row;
  EXPECT_NE(row.find("False"), std::string::npos) << row;

  std::string wide = Kubectl("get pricingagentfleets -o wide", &rc);
  ASSERT_EQ(rc, 0) << wide;
  header = wide.substr(0, wide.find('\n'));
  for (const char* col : {"NAME", "DESIRED", "READY", "QUEUE DEPTH", "MOVING", "STATUS", "AGE",
                          "SHARDS", "HELD", "UNOWNED", "LAST SCALE"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col << " not in " << header;
  }
  // The category lists fleets too.
  std::string cat = Kubectl("get agentfleet", &rc);
  ASSERT_EQ(rc, 0) << cat;
  EXPECT_NE(cat.find("cols"), std::string::npos) << cat;
}

}  // namespace
}  // namespace agentfleet::fleet::api
