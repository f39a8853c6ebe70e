#include "controller/kube/informer/store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "controller/kube/informer/pod.h"

namespace agentfleet::kube::informer {
namespace {

std::shared_ptr<const PodRecord> PodOf(const std::string& ns, const std::string& name,
                                       const std::string& owner_uid, const std::string& rv = "1") {
  auto p = std::make_shared<PodRecord>();
  p->meta.namespace_name = ns;
  p->meta.name = name;
  p->meta.resource_version = rv;
  if (!owner_uid.empty())
    p->meta.owners.push_back({"agentfleet.io/v1alpha1", "PricingAgentFleet", "f", owner_uid, true});
  return p;
}

std::vector<std::string> Names(const std::vector<std::shared_ptr<const PodRecord>>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p->meta.name);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Store, IndexesFollowUpsertsAndErases) {
  Store<PodRecord> store;
  store.AddIndex("phase", [](const PodRecord& p) { return std::vector<std::string>{p.phase}; });
  store.Upsert("a/p1", PodOf("a", "p1", "u1"));
  store.Upsert("a/p2", PodOf("a", "p2", "u1"));
  store.Upsert("b/p3", PodOf("b", "p3", "u2"));
  store.Upsert("b/p4", PodOf("b", "p4", ""));
  EXPECT_EQ(store.Size(), 4u);
  EXPECT_EQ(Names(store.ByIndex("namespace", "a")), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(Names(store.ByIndex("owner", "u1")), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(Names(store.ByIndex("owner", "u2")), (std::vector<std::string>{"p3"}));

  // Moving p2 to another owner moves it between index buckets.
  auto old = store.Upsert("a/p2", PodOf("a", "p2", "u2", "2"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->meta.resource_version, "1");
  EXPECT_EQ(Names(store.ByIndex("owner", "u1")), (std::vector<std::string>{"p1"}));
  EXPECT_EQ(Names(store.ByIndex("owner", "u2")), (std::vector<std::string>{"p2", "p3"}));

  EXPECT_NE(store.Erase("a/p1"), nullptr);
  EXPECT_EQ(store.Erase("a/p1"), nullptr);
  EXPECT_TRUE(store.ByIndex("owner", "u1").empty());
  EXPECT_EQ(store.Get("a/p1"), nullptr);
  EXPECT_EQ(store.Get("b/p3")->meta.name, "p3");
  EXPECT_TRUE(store.ByIndex("no-such-index", "x").empty());
}

TEST(PodRecord, FiltersAndParsesTimes) {
  auto pod = nlohmann::json::parse(R"({"metadata":{"name":"p","namespace":"n","uid":"u",
    "creationTimestamp":"2026-11-28T08:11:18Z",
    "labels":{"agentfleet.io/fleet":"f","app":"x"},
    "annotations":{"agentfleet.io/shards":"0-3","other":"y"},
    "ownerReferences":[{"kind":"A","uid":"1"},{"kind":"PricingAgentFleet","uid":"2","controller":true}]},
    "spec":{"nodeName":"kwok-node-0"},
    "status":{"phase":"Running","podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"True",
      "lastTransitionTime":"2026-11-28T09:11:18.5+01:00"}],"containerStatuses":[{"restartCount":2}]}})");
  PodRecord r = ToPodRecord(pod);
  EXPECT_EQ(r.meta.Key(), "n/p");
  ASSERT_EQ(r.meta.labels.size(), 1u);
  EXPECT_EQ(*r.meta.Label("agentfleet.io/fleet"), "f");
  EXPECT_EQ(r.meta.Annotation("other"), nullptr);
  ASSERT_EQ(r.meta.owners.size(), 1u);
  EXPECT_EQ(r.meta.ControllerOwner()->uid, "2");
  EXPECT_EQ(r.meta.created_unix, 1795853478);
  EXPECT_EQ(r.ready_since_unix, 1795853478) << "the +01:00 offset is applied";
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.restarts, 2);
}

}  // namespace
}  // namespace agentfleet::kube::informer

namespace agentfleet::kube::informer {
namespace {

TEST(PodRecord, MalformedObjectsNeverThrow) {
  for (
      const char* text :
      {R"({"metadata":{"ownerReferences":[{"controller":"yes","uid":7}],"labels":{"a":1}}})",
       R"({"metadata":"nope","status":{"conditions":[{"type":"Ready","status":true}]}})",
       R"({"metadata":{"generation":"2","annotations":[]},"spec":[],"status":{"containerStatuses":[{"restartCount":"x"}]}})",
       R"([1,2,3])", R"(null)"}) {
    auto j = nlohmann::json::parse(text);
    EXPECT_NO_THROW({
      PodRecord r = ToPodRecord(j);
      (void)r;
    }) << text;
  }
}

}  // namespace
}  // namespace agentfleet::kube::informer
