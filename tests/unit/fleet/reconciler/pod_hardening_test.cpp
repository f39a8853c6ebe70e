#include "controller/fleet/reconciler/pod_hardening.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

Json Hardened(const char* spec) {
  Json s = Json::parse(spec);
  HardenPodSpec(s);
  return s;
}

// What the restricted Pod Security Standard asks of every container.
void ExpectRestrictedContainer(const Json& c) {
  ASSERT_TRUE(c.contains("securityContext")) << c.dump();
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], Json::array({"ALL"}));
}

TEST(PodHardeningTest, AnUnsetTemplateGetsTheRestrictedDefaults) {
  Json s = Hardened(R"({"containers": [{"name": "a"}, {"name": "b"}],
                        "initContainers": [{"name": "init"}]})");
  EXPECT_EQ(s["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(s["securityContext"]["seccompProfile"], Json::parse(R"({"type": "RuntimeDefault"})"));
  EXPECT_EQ(s["automountServiceAccountToken"], false);
  for (const auto& c : s["containers"]) ExpectRestrictedContainer(c);
  ExpectRestrictedContainer(s["initContainers"][0]);
}

TEST(PodHardeningTest, WhatTheTemplateSetsIsKept) {
  Json s = Hardened(R"({
    "automountServiceAccountToken": true,
    "securityContext": {"runAsNonRoot": false, "runAsUser": 0,
                        "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}},
    "containers": [
      {"name": "a", "securityContext": {"allowPrivilegeEscalation": true,
                                         "capabilities": {"drop": ["NET_RAW"]}}},
      {"name": "b", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]},
                                         "readOnlyRootFilesystem": true}}]})");
  EXPECT_EQ(s["automountServiceAccountToken"], true);
  EXPECT_EQ(s["securityContext"]["runAsNonRoot"], false);
  EXPECT_EQ(s["securityContext"]["runAsUser"], 0);
  EXPECT_EQ(s["securityContext"]["seccompProfile"]["type"], "Localhost");
  const Json& a = s["containers"][0]["securityContext"];
  EXPECT_EQ(a["allowPrivilegeEscalation"], true);
  EXPECT_EQ(a["capabilities"]["drop"], Json::array({"NET_RAW"}));
  // An added capability survives a drop of ALL (the runtime drops first, then adds).
  const Json& b = s["containers"][1]["securityContext"];
  EXPECT_EQ(b["allowPrivilegeEscalation"], false);
  EXPECT_EQ(b["capabilities"]["drop"], Json::array({"ALL"}));
  EXPECT_EQ(b["capabilities"]["add"], Json::array({"NET_BIND_SERVICE"}));
  EXPECT_EQ(b["readOnlyRootFilesystem"], true);
}

// A container that sets its own runAsNonRoot or seccomp profile is not
// overridden by the pod-level default: the container's setting wins anyway.
TEST(PodHardeningTest, ContainerLevelChoicesAreNotContradicted) {
  Json s = Hardened(R"({"containers": [{"name": "a", "securityContext":
                          {"runAsNonRoot": false, "seccompProfile": {"type": "Unconfined"}}}]})");
  EXPECT_EQ(s["containers"][0]["securityContext"]["runAsNonRoot"], false);
  EXPECT_EQ(s["containers"][0]["securityContext"]["seccompProfile"]["type"], "Unconfined");
  EXPECT_EQ(s["securityContext"]["runAsNonRoot"], true);
}

TEST(PodHardeningTest, AnAgentThatReadsItsAssignmentFromTheApiKeepsItsToken) {
  for (
      const char* spec :
      {R"({"containers": [{"name": "a", "args": ["--assignment-from-api", "--shards=8"]}]})",
       R"({"containers": [{"name": "a", "command": ["pricing-agent", "--assignment-from-api"]}]})",
       R"({"containers": [{"name": "s"}, {"name": "a", "args": ["--assignment-from-api=true"]}]})"}) {
    Json s = Hardened(spec);
    EXPECT_FALSE(s.contains("automountServiceAccountToken")) << spec;
    ExpectRestrictedContainer(s["containers"].back());
  }
  Json off =
      Hardened(R"({"containers": [{"name": "a", "args": ["--assignment-from-api=false"]}]})");
  EXPECT_EQ(off["automountServiceAccountToken"], false);
}

// The template's spec is free-form in the CRD: a field of the wrong type is
// left for the API server to refuse, never a crash here.
TEST(PodHardeningTest, MalformedFieldsAreLeftAlone) {
  Json s = Hardened(R"({"securityContext": "x", "containers": [
                          "not-an-object", {"name": "a", "securityContext": 7},
                          {"name": "b", "securityContext": {"capabilities": "all"}},
                          {"name": "c", "args": "--assignment-from-api"}],
                        "initContainers": {"name": "i"}})");
  EXPECT_EQ(s["securityContext"], "x");
  EXPECT_EQ(s["containers"][0], "not-an-object");
  EXPECT_EQ(s["containers"][1]["securityContext"], 7);
  EXPECT_EQ(s["containers"][2]["securityContext"]["capabilities"], "all");
  EXPECT_EQ(s["containers"][2]["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(s["initContainers"], Json::parse(R"({"name": "i"})"));
  EXPECT_EQ(s["automountServiceAccountToken"], false);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
