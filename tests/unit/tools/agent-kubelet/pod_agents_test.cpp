#include "tools/agent-kubelet/pod_agents.h"

#include <gtest/gtest.h>

#include "examples/agent/assignment.h"

namespace agentfleet::tools::agent_kubelet {
namespace {

using Json = nlohmann::json;

Json Pod() {
  return Json::parse(R"({
    "metadata": {"name": "pricing-3", "namespace": "shop", "uid": "u-3"},
    "spec": {"terminationGracePeriodSeconds": 7, "containers": [{"name": "agent", "env": [
      {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
      {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
      {"name": "AGENTFLEET_SHARDS", "value": "12"},
      {"name": "AGENTFLEET_ASSIGNMENT_FILE", "value": "/etc/agentfleet/annotations"},
      {"name": "AGENTFLEET_QUEUE_PASSWORD",
       "valueFrom": {"secretKeyRef": {"name": "redis", "key": "password"}}}]}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})");
}

SecretReader Secrets() {
  return [](const std::string& name, const std::string& key) -> Result<std::string> {
    if (name == "redis" && key == "password") return std::string("s3cret");
    return MakeError(ErrorCode::kNotFound, "Secret " + name + " not found");
  };
}

TEST(PodAgentsTest, RunsReadyRunningPodsThatAreNotBeingDeleted) {
  EXPECT_TRUE(ShouldRun(Pod()));
  Json p = Pod();
  p["status"]["conditions"][0]["status"] = "False";
  EXPECT_FALSE(ShouldRun(p));
  p = Pod();
  p["status"]["phase"] = "Pending";
  EXPECT_FALSE(ShouldRun(p));
  p = Pod();
  p["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:00Z";
  EXPECT_FALSE(ShouldRun(p));
  p = Pod();
  p["status"].erase("conditions");
  EXPECT_FALSE(ShouldRun(p));
  EXPECT_FALSE(ShouldRun(Json::array()));
}

TEST(PodAgentsTest, ResolvesTheEnvironmentAsTheKubeletWould) {
  auto spec = AgentSpecFor(Pod(), Secrets());
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->pod, "pricing-3");
  EXPECT_EQ(spec->uid, "u-3");
  EXPECT_EQ(spec->grace, std::chrono::seconds(7));
  std::map<std::string, std::string> want{{"POD_NAME", "pricing-3"},
                                          {"POD_NAMESPACE", "shop"},
                                          {"AGENTFLEET_SHARDS", "12"},
                                          {"AGENTFLEET_QUEUE_PASSWORD", "s3cret"}};
  EXPECT_EQ(spec->env, want);  // the in-container file path is left out
}

TEST(PodAgentsTest, UnresolvableEntriesAreErrorsNamingTheVariable) {
  Json p = Pod();
  p["spec"]["containers"][0]["env"][4]["valueFrom"]["secretKeyRef"]["name"] = "gone";
  auto spec = AgentSpecFor(p, Secrets());
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message,
            "pod pricing-3: env AGENTFLEET_QUEUE_PASSWORD: Secret gone not found");

  p = Pod();
  p["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] = "spec.nodeName";
  spec = AgentSpecFor(p, Secrets());
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.error().message.find("fieldRef spec.nodeName is not supported"),
            std::string::npos);

  p = Pod();
  p["spec"]["containers"] = Json::array();
  EXPECT_FALSE(AgentSpecFor(p, Secrets()).ok());
}

// The file a kubelet writes for a downward-API volume of metadata.annotations,
// which the agent's own parser must read back.
TEST(PodAgentsTest, TheAnnotationsFileIsTheKubeletsAndTheAgentReadsIt) {
  Json p = Pod();
  p["metadata"]["annotations"] = {{"agentfleet.io/shards", "0-3,7"},
                                  {"agentfleet.io/assignment-generation", "12"},
                                  {"note", "say \"hi\"\tback\\\n\x01"}};
  const std::string file = DownwardApiAnnotations(p);
  EXPECT_EQ(file,
            "agentfleet.io/assignment-generation=\"12\"\n"
            "agentfleet.io/shards=\"0-3,7\"\n"
            "note=\"say \\\"hi\\\"\\tback\\\\\\n\\x01\"");
  auto parsed = agent::ParseAssignmentFile(file, 8);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->generation, 12);
  EXPECT_EQ(parsed->shards, (std::vector<uint32_t>{0, 1, 2, 3, 7}));
  auto all = agent::ParseAnnotationsFile(file);
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  EXPECT_EQ(all->at("note"), "say \"hi\"\tback\\\n\x01");

  p["metadata"].erase("annotations");
  EXPECT_EQ(DownwardApiAnnotations(p), "");
}

}  // namespace
}  // namespace agentfleet::tools::agent_kubelet
