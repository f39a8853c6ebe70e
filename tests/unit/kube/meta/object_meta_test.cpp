#include "controller/kube/meta/object_meta.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::meta {
namespace {

using Json = nlohmann::json;

Json Object() {
  return Json::parse(R"({"metadata":{"name":"p","namespace":"n","uid":"u",
    "resourceVersion":"42","generation":3,
    "creationTimestamp":"2026-11-28T08:11:18Z","deletionTimestamp":"2026-11-28T09:00:00Z",
    "labels":{"agentfleet.io/fleet":"f","app":"x"},
    "annotations":{"agentfleet.io/shards":"0-3","other":"y"},
    "finalizers":["agentfleet.io/drain"],
    "ownerReferences":[{"apiVersion":"apps/v1","kind":"A","uid":"1"},
      {"apiVersion":"agentfleet.io/v1alpha1","kind":"PricingAgentFleet","name":"f","uid":"2",
       "controller":true}]}})");
}

TEST(ObjectMeta, ParsesEveryField) {
  ObjectMeta m = ParseObjectMeta(Object());
  EXPECT_EQ(m.Key(), "n/p");
  EXPECT_EQ(m.uid, "u");
  EXPECT_EQ(m.resource_version, "42");
  EXPECT_EQ(m.generation, 3);
  EXPECT_EQ(m.created_unix, 1795853478);
  EXPECT_TRUE(m.deleting);
  ASSERT_EQ(m.labels.size(), 2u);
  EXPECT_EQ(*m.Label("app"), "x");
  EXPECT_EQ(*m.Annotation("other"), "y");
  EXPECT_EQ(m.finalizers, std::vector<std::string>{"agentfleet.io/drain"});
  ASSERT_EQ(m.owners.size(), 2u);
  ASSERT_NE(m.ControllerOwner(), nullptr);
  EXPECT_EQ(m.ControllerOwner()->kind, "PricingAgentFleet");
  EXPECT_EQ(m.ControllerOwner()->api_version, "agentfleet.io/v1alpha1");
}

TEST(ObjectMeta, FilterKeepsPrefixesAndTheControllerOwner) {
  ObjectMeta m = ParseObjectMeta(Object(), {.label_prefixes = {"agentfleet.io/"},
                                            .annotation_prefixes = {"agentfleet.io/"},
                                            .controller_owner_only = true});
  ASSERT_EQ(m.labels.size(), 1u);
  EXPECT_EQ(*m.Label("agentfleet.io/fleet"), "f");
  EXPECT_EQ(m.Label("app"), nullptr);
  EXPECT_EQ(*m.Annotation("agentfleet.io/shards"), "0-3");
  EXPECT_EQ(m.Annotation("other"), nullptr);
  ASSERT_EQ(m.owners.size(), 1u);
  EXPECT_EQ(m.ControllerOwner()->uid, "2");
}

TEST(ObjectMeta, MalformedMetadataNeverThrows) {
  for (const char* text :
       {R"({"metadata":{"ownerReferences":[{"controller":"yes","uid":7}],"labels":{"a":1}}})",
        R"({"metadata":"nope"})", R"({"metadata":{"generation":"2","annotations":[]}})",
        R"([1,2,3])", R"(null)"}) {
    ObjectMeta m;
    EXPECT_NO_THROW(m = ParseObjectMeta(Json::parse(text))) << text;
    EXPECT_EQ(m.ControllerOwner(), nullptr) << text;
    EXPECT_EQ(m.generation, 0) << text;
  }
}

TEST(ObjectMeta, KeysOfObjects) {
  EXPECT_EQ(ObjectKey(Object()), "n/p");
  EXPECT_EQ(ObjectKey(Json::parse(R"({"metadata":{"name":"node-1"}})")), "node-1");
  EXPECT_EQ(SplitKey("n/p"), (std::pair<std::string, std::string>{"n", "p"}));
  EXPECT_EQ(SplitKey("node-1"), (std::pair<std::string, std::string>{"", "node-1"}));
}

}  // namespace
}  // namespace agentfleet::kube::meta
