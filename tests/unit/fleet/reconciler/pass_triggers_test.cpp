#include "controller/fleet/reconciler/pass_triggers.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

Json FleetJson() {
  return Json::parse(R"({
    "apiVersion": "agentfleet.io/v1alpha1", "kind": "PricingAgentFleet",
    "metadata": {"name": "pricing", "namespace": "shop", "uid": "u1",
                 "resourceVersion": "10", "generation": 3,
                 "labels": {"team": "a"}, "annotations": {"note": "x"},
                 "finalizers": ["agentfleet.io/lease-cleanup"]},
    "spec": {"shards": 16},
    "status": {"observedGeneration": 3, "queueDepth": 120}})");
}

bool Starts(const std::function<void(Json&)>& change) {
  Json before = FleetJson(), after = FleetJson();
  after["metadata"]["resourceVersion"] = "11";
  change(after);
  return FleetUpdateStartsPass(ToFleetRecord(before), ToFleetRecord(after));
}

TEST(PassTriggersTest, TheOperatorsOwnStatusPatchStartsNoPass) {
  EXPECT_FALSE(Starts([](Json& f) { f["status"]["queueDepth"] = 80; }));
  EXPECT_FALSE(Starts([](Json& f) { f["status"]["conditions"] = Json::array(); }));
  EXPECT_FALSE(Starts([](Json&) {}));  // a relist or resync: nothing changed
  EXPECT_FALSE(Starts([](Json& f) { f["metadata"]["managedFields"] = Json::array({{}}); }));
}

TEST(PassTriggersTest, SpecMetadataFinalizersAndDeletionStartAPass) {
  EXPECT_TRUE(Starts([](Json& f) {
    f["metadata"]["generation"] = 4;
    f["spec"]["shards"] = 32;
  }));
  EXPECT_TRUE(
      Starts([](Json& f) { f["metadata"]["annotations"]["agentfleet.io/paused"] = "true"; }));
  EXPECT_TRUE(Starts([](Json& f) { f["metadata"]["labels"]["team"] = "b"; }));
  EXPECT_TRUE(Starts([](Json& f) { f["metadata"]["finalizers"] = Json::array(); }));
  EXPECT_TRUE(Starts([](Json& f) { f["metadata"]["deletionTimestamp"] = "2026-12-07T12:00:00Z"; }));
}

kube::informer::PodRecord Pod() {
  kube::informer::PodRecord p;
  p.meta.name = "pricing-0";
  p.meta.namespace_name = "shop";
  p.meta.resource_version = "5";
  p.meta.annotations = {{"agentfleet.io/shards", "0-7"}};
  p.phase = "Running";
  p.ready = true;
  return p;
}

TEST(PassTriggersTest, APodUpdateTheCacheCannotSeeStartsNoPass) {
  auto after = Pod();
  after.meta.resource_version = "6";  // e.g. a container status the cache drops
  EXPECT_FALSE(PodUpdateStartsPass(Pod(), after));
}

TEST(PassTriggersTest, APodUpdateTheOperatorReadsStartsAPass) {
  const std::vector<std::function<void(kube::informer::PodRecord&)>> changes = {
      [](auto& p) { p.ready = false; },
      [](auto& p) { p.phase = "Failed"; },
      [](auto& p) { p.restarts = 1; },
      [](auto& p) { p.pod_ip = "10.0.0.9"; },
      [](auto& p) { p.meta.deleting = true; },
      [](auto& p) {
        p.meta.annotations = {{"agentfleet.io/shards", "0-3"}};
      },
      [](auto& p) {
        p.meta.labels = {{"agentfleet.io/template-hash", "abc"}};
      },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    auto after = Pod();
    after.meta.resource_version = "6";
    changes[i](after);
    EXPECT_TRUE(PodUpdateStartsPass(Pod(), after)) << "change " << i;
  }
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
