// The fake API client keeps the API server's rules that the reconciler relies
// on; if it drifted, the unit tier would prove things the real server denies.
#include "tests/support/fake_client.h"

#include <gtest/gtest.h>

#include "controller/kube/informer/informer.h"
#include "controller/kube/informer/pod.h"

namespace agentfleet::testing {
namespace {

using kube::rest::Json;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;

Json PodJson(const std::string& name, Json labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"spec", {{"containers", Json::array()}}}};
}

TEST(FakeClientTest, CreateStampsAndRefusesDuplicates) {
  FakeClient c;
  auto p = c.Create(kPods, "ns", PodJson("a"));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE((*p)["metadata"]["uid"].get<std::string>().empty());
  EXPECT_EQ((*p)["metadata"]["namespace"], "ns");
  EXPECT_EQ((*p)["status"]["phase"], "Pending");
  auto again = c.Create(kPods, "ns", PodJson("a"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().http_status, 409);
  EXPECT_EQ(c.Get(kPods, "ns", "b").error().code, ErrorCode::kNotFound);
}

TEST(FakeClientTest, AStaleResourceVersionIsAConflict) {
  FakeClient c;
  Json p = *c.Create(kPods, "ns", PodJson("a"));
  Json newer = *c.Patch(kPods, "ns", "a", kube::rest::PatchType::kJsonMerge,
                        {{"metadata", {{"annotations", {{"k", "v"}}}}}});
  EXPECT_NE(newer["metadata"]["resourceVersion"], p["metadata"]["resourceVersion"]);
  p["metadata"]["labels"]["x"] = "y";
  EXPECT_EQ(c.Update(kPods, "ns", p).error().code, ErrorCode::kConflict);
  Json stale_patch = {{"metadata", {{"resourceVersion", p["metadata"]["resourceVersion"]}}}};
  EXPECT_EQ(c.Patch(kPods, "ns", "a", kube::rest::PatchType::kJsonMerge, stale_patch).error().code,
            ErrorCode::kConflict);
  Json json_patch = Json::array({{{"op", "add"}, {"path", "/metadata/labels/z"}, {"value", "1"}}});
  auto patched = c.Patch(kPods, "ns", "a", kube::rest::PatchType::kJsonPatch, json_patch);
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  EXPECT_EQ((*patched)["metadata"]["labels"]["z"], "1");
}

TEST(FakeClientTest, StatusMovesOnlyThroughItsSubresource) {
  FakeClient c;
  Json f = {{"apiVersion", "agentfleet.io/v1alpha1"},
            {"kind", "PricingAgentFleet"},
            {"metadata", {{"name", "f"}}},
            {"spec", {{"shards", 4}}},
            {"status", {{"replicas", 9}}}};
  Json created = *c.Create(kPricingAgentFleets, "ns", f);
  EXPECT_FALSE(created.contains("status"));
  EXPECT_EQ(created["metadata"]["generation"], 1);
  Json s = *c.Patch(kPricingAgentFleets, "ns", "f", kube::rest::PatchType::kJsonMerge,
                    {{"status", {{"replicas", 2}}}, {"spec", {{"shards", 8}}}},
                    {.subresource = "status"});
  EXPECT_EQ(s["status"]["replicas"], 2);
  EXPECT_EQ(s["spec"]["shards"], 4);
  EXPECT_EQ(s["metadata"]["generation"], 1);
  Json m = *c.Patch(kPricingAgentFleets, "ns", "f", kube::rest::PatchType::kJsonMerge,
                    {{"status", {{"replicas", 7}}}, {"spec", {{"shards", 8}}}});
  EXPECT_EQ(m["status"]["replicas"], 2);
  EXPECT_EQ(m["spec"]["shards"], 8);
  EXPECT_EQ(m["metadata"]["generation"], 2);
}

TEST(FakeClientTest, DeleteHonoursUidPreconditionsAndFinalizers) {
  FakeClient c;
  Json p = PodJson("a");
  p["metadata"]["finalizers"] = {"x/y"};
  Json created = *c.Create(kPods, "ns", p);
  auto wrong = c.Delete(kPods, "ns", "a", {.precondition_uid = std::string("other")});
  EXPECT_EQ(wrong.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(c.Delete(kPods, "ns", "a", {.precondition_uid = created["metadata"]["uid"]}).ok());
  auto held = c.Peek(kPods, "ns", "a");
  ASSERT_TRUE(held.has_value());
  EXPECT_TRUE((*held)["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(c.Patch(kPods, "ns", "a", kube::rest::PatchType::kJsonMerge,
                      {{"metadata", {{"finalizers", nullptr}}}})
                  .ok());
  EXPECT_FALSE(c.Peek(kPods, "ns", "a").has_value());
  EXPECT_EQ(c.Delete(kPods, "ns", "a").error().code, ErrorCode::kNotFound);
}

TEST(FakeClientTest, FaultsLatencyAndCallRecords) {
  FakeClient c;
  c.FailNext(Verb::kCreate, "pods", Error(ErrorCode::kForbidden, "quota", 403), 1);
  EXPECT_EQ(c.Create(kPods, "ns", PodJson("a")).error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(c.Create(kPods, "ns", PodJson("a")).ok());
  EXPECT_FALSE(c.Peek(kPods, "ns", "b").has_value());
  EXPECT_EQ(c.CountCalls(Verb::kCreate, "pods"), 2u);
  EXPECT_EQ(c.CountWrites(), 2u);
  c.SetLatency(Verb::kGet, std::chrono::milliseconds(20));
  const auto start = std::chrono::steady_clock::now();
  (void)c.Get(kPods, "ns", "a");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

TEST(FakeClientTest, ListsAndWatchesBySelector) {
  FakeClient c;
  ASSERT_TRUE(c.Create(kPods, "ns", PodJson("a", {{"app", "x"}})).ok());
  ASSERT_TRUE(c.Create(kPods, "ns", PodJson("b", {{"app", "y"}})).ok());
  ASSERT_TRUE(c.Create(kPods, "other", PodJson("c", {{"app", "x"}})).ok());
  EXPECT_EQ(c.List(kPods, "ns", {.label_selector = "app=x"})->items.size(), 1u);
  EXPECT_EQ(c.List(kPods, "", {.label_selector = "app in (x,y)"})->items.size(), 3u);
  EXPECT_EQ(c.List(kPods, "", {.label_selector = "app,app!=y"})->items.size(), 2u);

  // The real informer runs on it: list, then watch.
  kube::informer::Informer<kube::informer::PodRecord> pods(
      c, kPods, kube::informer::ToPodRecord,
      kube::informer::ReflectorOptions{.namespace_name = "ns"});
  pods.Start();
  ASSERT_TRUE(pods.WaitForSync(std::chrono::seconds(5)));
  EXPECT_EQ(pods.store().Size(), 2u);
  ASSERT_TRUE(c.Create(kPods, "ns", PodJson("d")).ok());
  ASSERT_TRUE(c.Delete(kPods, "ns", "a").ok());
  for (int i = 0; i < 200 && (pods.store().Size() != 2u || pods.store().Get("ns/d") == nullptr);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(pods.store().Get("ns/d"), nullptr);
  EXPECT_EQ(pods.store().Get("ns/a"), nullptr);
  pods.Stop();
}

}  // namespace
}  // namespace agentfleet::testing
