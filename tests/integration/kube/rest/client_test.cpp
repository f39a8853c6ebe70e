#include "controller/kube/rest/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/support/cluster.h"

namespace agentfleet::kube::rest {
namespace {

using testing::ClusterClient;
using testing::ScopedNamespace;

Json Pod(const std::string& name, const std::string& label = "a") {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", {{"app", "rest-test"}, {"tier", label}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "registry.invalid/c:1"}}}}}}};
}

class RestClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    client_ = ClusterClient().release();
    ns_ = new ScopedNamespace(*client_, "rest");
  }
  static void TearDownTestSuite() {
    delete ns_;
    delete client_;
  }
  static Client* client_;
  static ScopedNamespace* ns_;
  const std::string& ns() { return ns_->name(); }
};
Client* RestClientTest::client_ = nullptr;
ScopedNamespace* RestClientTest::ns_ = nullptr;

TEST_F(RestClientTest, PodCrudWithSelectorsAndStatusErrors) {
  auto created = client_->Create(resources::kPods, ns(), Pod("crud-a", "front"));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(client_->Create(resources::kPods, ns(), Pod("crud-b", "back")).ok());

  auto again = client_->Create(resources::kPods, ns(), Pod("crud-a"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().http_status, 409);
  EXPECT_EQ(again.error().reason, "AlreadyExists");
  EXPECT_NE(again.error().message.find("\"crud-a\" already exists"), std::string::npos);

  auto got = client_->Get(resources::kPods, ns(), "crud-a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["metadata"]["uid"], (*created)["metadata"]["uid"]);

  auto front =
      client_->List(resources::kPods, ns(), {.label_selector = "app=rest-test,tier=front"});
  ASSERT_TRUE(front.ok());
  ASSERT_EQ(front->items.size(), 1u);
  EXPECT_EQ(front->items[0]["metadata"]["name"], "crud-a");
  EXPECT_FALSE(front->resource_version.empty());
  auto by_field = client_->List(resources::kPods, ns(), {.field_selector = "metadata.name=crud-b"});
  ASSERT_TRUE(by_field.ok());
  ASSERT_EQ(by_field->items.size(), 1u);

  auto missing = client_->Get(resources::kPods, ns(), "no-such-pod");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().reason, "NotFound");

  auto invalid = client_->Create(resources::kPods, ns(), Pod("Not_A_Valid_Name"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(invalid.error().reason, "Invalid");
}

TEST_F(RestClientTest, StaleUpdateIsAConflict) {
  // A ConfigMap: nothing else in the cluster writes to it between our two updates.
  Resource cms{"", "v1", "configmaps", true};
  auto created =
      client_->Create(cms, ns(),
                      {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", "stale"}, {"labels", {{"step", "zero"}}}}}});
  ASSERT_TRUE(created.ok());
  Json first = *created;
  first["metadata"]["labels"]["step"] = "one";
  auto updated = client_->Update(cms, ns(), first);
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  Json stale = *created;  // still carries the original resourceVersion
  stale["metadata"]["labels"]["step"] = "two";
  auto conflict = client_->Update(cms, ns(), stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_EQ(conflict.error().http_status, 409);
  EXPECT_EQ(conflict.error().reason, "Conflict");
}

TEST_F(RestClientTest, PatchKinds) {
  ASSERT_TRUE(client_->Create(resources::kPods, ns(), Pod("patched")).ok());
  auto merge = client_->Patch(resources::kPods, ns(), "patched", PatchType::kJsonMerge,
                              {{"metadata", {{"annotations", {{"agentfleet.io/shards", "0-3"}}}}}});
  ASSERT_TRUE(merge.ok()) << merge.error().ToString();
  EXPECT_EQ((*merge)["metadata"]["annotations"]["agentfleet.io/shards"], "0-3");

  auto jp = client_->Patch(resources::kPods, ns(), "patched", PatchType::kJsonPatch,
                           Json::array({{{"op", "replace"},
                                         {"path", "/metadata/annotations/agentfleet.io~1shards"},
                                         {"value", "4-7"}}}));
  ASSERT_TRUE(jp.ok()) << jp.error().ToString();
  EXPECT_EQ((*jp)["metadata"]["annotations"]["agentfleet.io/shards"], "4-7");

  // Strategic merge keys containers by name: the image changes, the list is not replaced.
  auto smp = client_->Patch(
      resources::kPods, ns(), "patched", PatchType::kStrategicMerge,
      {{"spec", {{"containers", {{{"name", "c"}, {"image", "registry.invalid/c:2"}}}}}}});
  ASSERT_TRUE(smp.ok()) << smp.error().ToString();
  ASSERT_EQ((*smp)["spec"]["containers"].size(), 1u);
  EXPECT_EQ((*smp)["spec"]["containers"][0]["image"], "registry.invalid/c:2");

  auto bad =
      client_->Patch(resources::kPods, ns(), "patched", PatchType::kJsonPatch,
                     Json::array({{{"op", "test"}, {"path", "/metadata/name"}, {"value", "x"}}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RestClientTest, ServerSideApplyFieldOwnership) {
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "owned"}}},
             {"data", {{"price", "1"}}}};
  Resource cms{"", "v1", "configmaps", true};
  auto a = client_->Patch(cms, ns(), "owned", PatchType::kApply, cm, {.field_manager = "alice"});
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  Json b_cfg = cm;
  b_cfg["data"]["price"] = "2";
  auto conflict =
      client_->Patch(cms, ns(), "owned", PatchType::kApply, b_cfg, {.field_manager = "bob"});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_NE(conflict.error().message.find("alice"), std::string::npos) << conflict.error().message;
  auto forced = client_->Patch(cms, ns(), "owned", PatchType::kApply, b_cfg,
                               {.field_manager = "bob", .force = true});
  ASSERT_TRUE(forced.ok()) << forced.error().ToString();
  EXPECT_EQ((*forced)["data"]["price"], "2");
  bool bob_owns_price = false;
  for (const auto& mf : (*forced)["metadata"]["managedFields"]) {
    if (mf["manager"] == "bob" && mf["fieldsV1"].dump().find("f:price") != std::string::npos) {
      bob_owns_price = true;
    }
  }
  EXPECT_TRUE(bob_owns_price);
  auto no_manager = client_->Patch(cms, ns(), "owned", PatchType::kApply, cm, {});
  ASSERT_FALSE(no_manager.ok());
  EXPECT_EQ(no_manager.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RestClientTest, DeleteWithPreconditionsAndGrace) {
  auto created = client_->Create(resources::kPods, ns(), Pod("doomed"));
  ASSERT_TRUE(created.ok());
  auto wrong =
      client_->Delete(resources::kPods, ns(), "doomed",
                      {.precondition_uid = std::string("00000000-0000-0000-0000-000000000000")});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kConflict);
  EXPECT_NE(wrong.error().message.find("precondition"), std::string::npos) << wrong.error().message;
  auto right =
      client_->Delete(resources::kPods, ns(), "doomed",
                      {.precondition_uid = (*created)["metadata"]["uid"].get<std::string>(),
                       .propagation_policy = "Background",
                       .grace_period_seconds = 0});
  ASSERT_TRUE(right.ok()) << right.error().ToString();
  auto gone = client_->Get(resources::kPods, ns(), "doomed");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  auto twice = client_->Delete(resources::kPods, ns(), "doomed");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kNotFound);
}

TEST_F(RestClientTest, PaginationAcrossMoreThanAThousandObjects) {
  Resource cms{"", "v1", "configmaps", true};
  constexpr int kCount = 1100;
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      for (int i = next++; i < kCount; i = next++) {
        Json cm = {
            {"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", "page-" + std::to_string(i)}, {"labels", {{"paged", "yes"}}}}}};
        if (!client_->Create(cms, ns(), cm).ok()) ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  ASSERT_EQ(failures, 0);

  std::set<std::string> names;
  ListOptions opts{.label_selector = "paged=yes", .limit = 250};
  int pages = 0;
  do {
    auto page = client_->List(cms, ns(), opts);
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    ++pages;
    EXPECT_LE(page->items.size(), 250u);
    for (auto& item : page->items) names.insert(item["metadata"]["name"].get<std::string>());
    opts.continue_token = page->continue_token;
  } while (!opts.continue_token.empty());
  EXPECT_EQ(names.size(), size_t(kCount));
  EXPECT_EQ(pages, 5);
}

TEST_F(RestClientTest, CustomResourceWithStatusAndScaleSubresources) {
  Json crd = Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.test.agentfleet.io"},
    "spec": {"group": "test.agentfleet.io", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                         "statusReplicasPath": ".status.replicas"}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
          "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}}]}})");
  auto made = client_->Create(resources::kCustomResourceDefinitions, "", crd);
  ASSERT_TRUE(made.ok() || made.error().code == ErrorCode::kAlreadyExists)
      << made.error().ToString();
  Resource widgets{"test.agentfleet.io", "v1", "widgets", true};
  Json w = {{"apiVersion", "test.agentfleet.io/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", "w1"}}},
            {"spec", {{"replicas", 2}}}};
  Result<Json> created = MakeError(ErrorCode::kInternal, "not tried");
  for (int i = 0; i < 100; ++i) {  // the new resource is served a moment after the CRD is made
    created = client_->Create(widgets, ns(), w);
    if (created.ok() || created.error().code != ErrorCode::kNotFound) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(created.ok()) << created.error().ToString();

  Json with_status = *created;
  with_status["status"] = {{"replicas", 2}};
  with_status["spec"]["replicas"] = 9;  // ignored by the status subresource
  auto st = client_->Update(widgets, ns(), with_status, {.subresource = "status"});
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ((*st)["status"]["replicas"], 2);
  EXPECT_EQ((*st)["spec"]["replicas"], 2);

  auto scale = client_->Get(widgets, ns(), "w1", "scale");
  ASSERT_TRUE(scale.ok()) << scale.error().ToString();
  EXPECT_EQ((*scale)["kind"], "Scale");
  EXPECT_EQ((*scale)["spec"]["replicas"], 2);
  auto scaled = client_->Patch(widgets, ns(), "w1", PatchType::kJsonMerge,
                               {{"spec", {{"replicas", 5}}}}, {.subresource = "scale"});
  ASSERT_TRUE(scaled.ok()) << scaled.error().ToString();
  auto after = client_->Get(widgets, ns(), "w1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["spec"]["replicas"], 5);
  ASSERT_TRUE(client_->Delete(widgets, ns(), "w1").ok());
}

TEST(RestClient, UnreachableServerIsUnavailableNotAHang) {
  config::RestConfig cfg;
  cfg.server = "https://127.0.0.1:1";  // nothing listens on port 1
  auto client = Client::Create(cfg, {.request_timeout = std::chrono::seconds(2),
                                     .max_retries = 1,
                                     .retry_initial_backoff = std::chrono::milliseconds(10)});
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  auto r = (*client)->Get(resources::kPods, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
}

TEST(RestClient, UntrustedServerCertificateIsRejected) {
  auto trusted = ClusterClient();
  config::RestConfig cfg = trusted->config();
  cfg.ca_pem.clear();  // the local CA is not in the system trust store
  auto client = Client::Create(cfg, {.max_retries = 0});
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().ToString();
}

}  // namespace
}  // namespace agentfleet::kube::rest
