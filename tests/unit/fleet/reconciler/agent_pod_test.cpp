#include "controller/fleet/reconciler/agent_pod.h"

#include <gtest/gtest.h>

#include "tests/unit/fleet/reconciler/test_fleet.h"

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

const Json* Env(const Json& container, const std::string& name) {
  const Json* found = nullptr;
  for (const auto& e : container["env"]) {
    if (e["name"] == name) {
      EXPECT_EQ(found, nullptr) << "two variables named " << name;
      found = &e;
    }
  }
  return found;
}

TEST(AgentPodTest, MetadataLabelsOwnerAndAnnotations) {
  Json pod = BuildAgentPod(testing::TestFleet(), "pricing-4");
  EXPECT_EQ(pod["apiVersion"], "v1");
  EXPECT_EQ(pod["kind"], "Pod");
  const Json& m = pod["metadata"];
  EXPECT_EQ(m["name"], "pricing-4");
  EXPECT_EQ(m["namespace"], "shop");
  EXPECT_EQ(m["labels"]["agentfleet.io/fleet"], "pricing");
  EXPECT_EQ(m["labels"]["app.kubernetes.io/managed-by"], "agentfleet-controller");
  EXPECT_EQ(m["labels"]["app.kubernetes.io/name"], "pricing-agent");
  EXPECT_EQ(m["annotations"]["team"], "pricing");
  EXPECT_EQ(m["annotations"]["agentfleet.io/shards"], "");
  EXPECT_EQ(m["annotations"]["agentfleet.io/assignment-generation"], "0");
  ASSERT_EQ(m["ownerReferences"].size(), 1u);
  const Json& o = m["ownerReferences"][0];
  EXPECT_EQ(o["apiVersion"], "agentfleet.io/v1alpha1");
  EXPECT_EQ(o["kind"], "PricingAgentFleet");
  EXPECT_EQ(o["name"], "pricing");
  EXPECT_EQ(o["uid"], "uid-1");
  EXPECT_EQ(o["controller"], true);
  EXPECT_EQ(o["blockOwnerDeletion"], true);
}

TEST(AgentPodTest, DownwardApiVolumeMountedIntoEveryContainer) {
  Json pod = BuildAgentPod(testing::TestFleet(), "pricing-0");
  const Json& spec = pod["spec"];
  ASSERT_EQ(spec["volumes"].size(), 2u);
  EXPECT_EQ(spec["volumes"][0]["name"], "data");
  const Json& v = spec["volumes"][1];
  EXPECT_EQ(v["name"], "agentfleet-assignment");
  EXPECT_EQ(v["downwardAPI"]["items"][0]["path"], "annotations");
  EXPECT_EQ(v["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"], "metadata.annotations");
  ASSERT_EQ(spec["containers"].size(), 2u);
  for (const auto& c : spec["containers"]) {
    const Json& mounts = c["volumeMounts"];
    const Json& last = mounts.back();
    EXPECT_EQ(last["name"], "agentfleet-assignment");
    EXPECT_EQ(last["mountPath"], "/etc/agentfleet");
    EXPECT_EQ(last["readOnly"], true);
  }
  EXPECT_EQ(spec["containers"][1]["volumeMounts"].size(), 2u);  // the template's own kept
}

TEST(AgentPodTest, EnvironmentInEveryContainerOverridesTheTemplate) {
  Json pod = BuildAgentPod(testing::TestFleet(), "pricing-0");
  for (const auto& c : pod["spec"]["containers"]) {
    const Json* name = Env(c, "AGENTFLEET_POD_NAME");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ((*name)["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
    ASSERT_NE(Env(c, "AGENTFLEET_NAMESPACE"), nullptr);
    EXPECT_EQ((*Env(c, "AGENTFLEET_NAMESPACE"))["value"], "shop");
    ASSERT_NE(Env(c, "AGENTFLEET_FLEET"), nullptr);
    EXPECT_EQ((*Env(c, "AGENTFLEET_FLEET"))["value"], "pricing");
    ASSERT_NE(Env(c, "AGENTFLEET_SHARDS"), nullptr);
    EXPECT_EQ((*Env(c, "AGENTFLEET_SHARDS"))["value"], "12");
    ASSERT_NE(Env(c, "AGENTFLEET_ASSIGNMENT_FILE"), nullptr);
    EXPECT_EQ((*Env(c, "AGENTFLEET_ASSIGNMENT_FILE"))["value"], "/etc/agentfleet/annotations");
  }
  const Json& agent = pod["spec"]["containers"][0];
  ASSERT_NE(Env(agent, "LOG"), nullptr);
  EXPECT_EQ((*Env(agent, "LOG"))["value"], "debug");
}

TEST(AgentPodTest, TemplateWithoutMetadataOrVolumes) {
  api::Fleet f = testing::TestFleet();
  f.spec.pod_template = Json::parse(R"({"spec": {"containers": [{"name": "a", "image": "i"}]}})");
  Json pod = BuildAgentPod(f, "pricing-0");
  EXPECT_EQ(pod["metadata"]["labels"].size(), 2u);
  EXPECT_EQ(pod["spec"]["volumes"].size(), 1u);
  EXPECT_EQ(pod["spec"]["containers"][0]["env"].size(), 5u);
}

TEST(AgentPodTest, Patches) {
  EXPECT_EQ(AssignmentPatch("0-3,7", 5),
            Json::parse(R"({"metadata": {"annotations": {"agentfleet.io/shards": "0-3,7",
                          "agentfleet.io/assignment-generation": "5"}}})"));
  EXPECT_EQ(RetiringPatch("2026-01-01T00:00:00Z"), Json::parse(R"({"metadata": {"annotations":
                          {"agentfleet.io/retiring": "2026-01-01T00:00:00Z"}}})"));
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
