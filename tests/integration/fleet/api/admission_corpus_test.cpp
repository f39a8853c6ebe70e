// The admission corpus against a real API server: every manifest under
// bad_manifests/ is refused with each message its comments name, every one
// under good_manifests/ and every example is admitted. Server-side dry run:
// nothing is stored, and the answer is the one `kubectl apply` shows.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "controller/fleet/api/names.h"
#include "controller/kube/rest/client.h"
#include "tests/support/cluster.h"
#include "tests/unit/fleet/api/manifest_corpus.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::fleet::api {
namespace {

using Json = nlohmann::json;
using kube::rest::resources::kCustomResourceDefinitions;
using kube::rest::resources::kPricingAgentFleets;
using kube::rest::resources::kSecrets;
using testing::CorpusCase;
using testing::LoadCorpus;

constexpr auto kCorpus = "tests/integration/fleet/api/bad_manifests";
constexpr auto kGood = "tests/integration/fleet/api/good_manifests";
// Planted in the URL cases: no answer may echo it.
constexpr auto kPlanted = "planted-s3cret";

bool Eventually(const std::function<bool()>& ok, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return ok();
}

class AdmissionCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    client_ = testing::ClusterClient().release();
    Json crd = testing::LoadYaml(testing::SourcePath("crds/agentfleet.io_pricingagentfleets.yaml"));
    auto applied = client_->Patch(kCustomResourceDefinitions, "", std::string(kCrdName),
                                  kube::rest::PatchType::kApply, crd,
                                  {.field_manager = "agentfleet-corpus-test", .force = true});
    ASSERT_TRUE(applied.ok()) << applied.error().ToString();
    ASSERT_TRUE(Eventually([] { return client_->List(kPricingAgentFleets, "default").ok(); },
                           std::chrono::seconds(60)));
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
  }
  void SetUp() override { ns_ = std::make_unique<testing::ScopedNamespace>(*client_, "corpus"); }
  void TearDown() override { ns_.reset(); }

  Result<Json> DryRun(const Json& object) {
    const std::string kind = object.value("kind", "");
    const auto& resource = kind == "Secret" ? kSecrets : kPricingAgentFleets;
    return client_->Create(resource, ns_->name(), object, {.dry_run = true});
  }

  static kube::rest::Client* client_;
  std::unique_ptr<testing::ScopedNamespace> ns_;
};

kube::rest::Client* AdmissionCorpusTest::client_ = nullptr;

bool Refused(const Result<Json>& r, const CorpusCase& c) {
  if (r.ok()) return false;
  for (const auto& want : c.expect) {
    if (r.error().message.find(want) == std::string::npos) return false;
  }
  return true;
}

TEST_F(AdmissionCorpusTest, EveryBadManifestIsRefusedWithItsMessage) {
  const auto cases = LoadCorpus(kCorpus);
  ASSERT_GE(cases.size(), 30u);
  // A CRD just applied reaches the handlers a moment later: wait until the
  // whole corpus is refused as expected (or the wait ends), then check it.
  Eventually(
      [&] {
        for (const auto& c : cases) {
          if (!Refused(DryRun(c.manifest), c)) return false;
        }
        return true;
      },
      std::chrono::seconds(20));
  for (const auto& c : cases) {
    SCOPED_TRACE(c.where + " (" + c.name + ")");
    ASSERT_FALSE(c.expect.empty()) << "a bad manifest without an `# expect:` line";
    auto r = DryRun(c.manifest);
    if (r.ok()) {
      ADD_FAILURE() << "admitted";
      continue;
    }
    EXPECT_EQ(r.error().http_status, 422) << r.error().ToString();
    for (const auto& want : c.expect) {
      EXPECT_NE(r.error().message.find(want), std::string::npos)
          << "got: " << r.error().message << "\nwant: " << want;
    }
    EXPECT_EQ(r.error().message.find(kPlanted), std::string::npos)
        << "the answer quotes the secret: " << r.error().message;
  }
}

TEST_F(AdmissionCorpusTest, GoodManifestsAndTheExamplesAreAdmitted) {
  auto cases = LoadCorpus(kGood);
  ASSERT_FALSE(cases.empty());
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourcePath("examples"))) {
    if (entry.path().extension() != ".yaml") continue;
    for (auto& doc : testing::LoadYamlDocuments(entry.path().string())) {
      cases.push_back({"examples/" + entry.path().filename().string(), "example", {}, {}, doc});
    }
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.where + " (" + c.name + ")");
    auto r = DryRun(c.manifest);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
  }
}

}  // namespace
}  // namespace agentfleet::fleet::api
