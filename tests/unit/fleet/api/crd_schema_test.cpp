// The CRD file itself: names and subresources, every field described and
// bounded, printer columns, and defaults that agree with the C++ types.
#include <gtest/gtest.h>

#include "controller/fleet/api/names.h"
#include "controller/fleet/api/types.h"
#include "controller/sources/protocol/shard.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::fleet::api {
namespace {

using Json = nlohmann::json;

Json Crd() {
  return testing::LoadYaml(testing::SourcePath("crds/agentfleet.io_pricingagentfleets.yaml"));
}
Json Version() {
  return Crd()["spec"]["versions"][0];
}
Json Schema() {
  return Version()["schema"]["openAPIV3Schema"];
}

void Walk(const Json& node, const std::string& path,
          const std::function<void(const Json&, const std::string&)>& visit) {
  visit(node, path);
  if (node.contains("properties")) {
    for (auto it = node["properties"].begin(); it != node["properties"].end(); ++it) {
      Walk(*it, path + "." + it.key(), visit);
    }
  }
  if (node.contains("items")) Walk(node["items"], path + "[]", visit);
  if (node.contains("additionalProperties") && node["additionalProperties"].is_object()) {
    Walk(node["additionalProperties"], path + "{}", visit);
  }
}

TEST(Crd, NamesAndSubresources) {
  Json crd = Crd();
  EXPECT_EQ(crd["metadata"]["name"], kCrdName);
  EXPECT_EQ(crd["spec"]["group"], kGroup);
  EXPECT_EQ(crd["spec"]["names"]["kind"], kKind);
  EXPECT_EQ(crd["spec"]["names"]["plural"], kPlural);
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], Json::array({"paf"}));
  EXPECT_EQ(crd["spec"]["names"]["categories"][0], "agentfleet");
  Json v = Version();
  EXPECT_EQ(v["name"], kVersion);
  EXPECT_TRUE(v["served"].get<bool>());
  EXPECT_TRUE(v["storage"].get<bool>());
  EXPECT_EQ(v["subresources"]["scale"]["specReplicasPath"], ".spec.replicas");
  EXPECT_EQ(v["subresources"]["scale"]["statusReplicasPath"], ".status.replicas");
  EXPECT_EQ(v["subresources"]["scale"]["labelSelectorPath"], ".status.selector");
  EXPECT_TRUE(v["subresources"].contains("status"));
}

TEST(Crd, EveryFieldIsDescribedAndBounded) {
  std::vector<std::string> problems;
  Walk(Schema(), "", [&](const Json& n, const std::string& path) {
    if (path == ".metadata" || path == ".apiVersion" || path == ".kind") return;
    bool map_value = path.ends_with("{}");
    if (!map_value && !n.contains("description")) problems.push_back(path + ": no description");
    std::string type = n.value("type", "");
    if (type == "string" && !n.contains("maxLength") && !n.contains("enum")) {
      problems.push_back(path + ": string without maxLength");
    }
    if (type == "array" && !n.contains("maxItems")) problems.push_back(path + ": no maxItems");
    if (type == "integer" && (!n.contains("minimum") || !n.contains("maximum"))) {
      problems.push_back(path + ": integer without minimum and maximum");
    }
    if (type == "object" && n.contains("additionalProperties") && !n.contains("maxProperties")) {
      problems.push_back(path + ": map without maxProperties");
    }
    if (n.contains("x-kubernetes-validations")) {
      for (const auto& rule : n["x-kubernetes-validations"]) {
        if (!rule.contains("message") && !rule.contains("messageExpression")) {
          problems.push_back(path + ": CEL rule without a message: " + rule["rule"].dump());
        }
      }
    }
  });
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
}

TEST(Crd, PrinterColumnsAreDescribedAndSecondaryOnesWide) {
  std::map<std::string, int> priority;
  const Json version = Version();
  for (const auto& c : version["additionalPrinterColumns"]) {
    EXPECT_TRUE(c.contains("description")) << c.dump();
    priority[c["name"].get<std::string>()] = c.value("priority", 0);
  }
  for (const char* main : {"Desired", "Ready", "Queue Depth", "Moving", "Status", "Age"}) {
    ASSERT_TRUE(priority.contains(main)) << main;
    EXPECT_EQ(priority[main], 0) << main;
  }
  for (const char* wide : {"Shards", "Held", "Unowned", "Last Scale"}) {
    ASSERT_TRUE(priority.contains(wide)) << wide;
    EXPECT_EQ(priority[wide], 1) << wide;
  }
}

// One shard limit end to end: the CRD, the operator's parser, the agent's
// --shards and the Redis Streams source all take sources::protocol::kMaxShards,
// and every replica count has the same bound (replicas never exceed shards).
TEST(Crd, ShardAndReplicaMaximumsAreTheProtocolsShardLimit) {
  Json spec = Schema()["properties"]["spec"]["properties"];
  Json a = spec["autoscaling"]["properties"];
  const uint32_t limit = sources::protocol::kMaxShards;
  EXPECT_EQ(spec["shards"]["maximum"], limit);
  EXPECT_EQ(spec["replicas"]["maximum"], limit);
  EXPECT_EQ(a["minReplicas"]["maximum"], limit);
  EXPECT_EQ(a["maxReplicas"]["maximum"], limit);
  EXPECT_EQ(a["fallback"]["properties"]["replicas"]["maximum"], limit);
}

TEST(Crd, DefaultsAgreeWithTheCppTypes) {
  Json spec = Schema()["properties"]["spec"]["properties"];
  FleetSpec fs;
  AutoscalingSpec as;
  Fallback fb;
  RedisLeaseStore rl;
  SqsQueue sqs;
  AwsCredentialsRef aws;
  RabbitMqQueue rabbit;
  BasicCredentialsRef basic;
  EXPECT_EQ(spec["shards"]["default"], fs.shards);
  Json a = spec["autoscaling"]["properties"];
  EXPECT_EQ(a["minReplicas"]["default"], as.min_replicas);
  EXPECT_EQ(a["targetQueueDepthPerAgent"]["default"], as.target_queue_depth_per_agent);
  EXPECT_EQ(a["activationQueueDepth"]["default"], as.activation_queue_depth);
  EXPECT_EQ(a["pollIntervalSeconds"]["default"], as.poll_interval.count());
  EXPECT_EQ(a["fallback"]["properties"]["failureThreshold"]["default"], fb.failure_threshold);
  Json l = spec["leases"]["properties"];
  EXPECT_EQ(l["leaseDurationSeconds"]["default"], fs.leases.lease_duration.count());
  EXPECT_EQ(l["redis"]["properties"]["keyPrefix"]["default"], rl.key_prefix);
  EXPECT_EQ(spec["retirement"]["properties"]["drainTimeoutSeconds"]["default"],
            fs.retirement.drain_timeout.count());
  Json q = spec["queue"]["properties"];
  EXPECT_EQ(q["sqs"]["properties"]["scaleOnInFlight"]["default"], sqs.scale_on_in_flight);
  EXPECT_EQ(q["sqs"]["properties"]["scaleOnDelayed"]["default"], sqs.scale_on_delayed);
  Json awsp = q["sqs"]["properties"]["credentialsSecretRef"]["properties"];
  EXPECT_EQ(awsp["accessKeyIDKey"]["default"], aws.access_key_id_key);
  EXPECT_EQ(awsp["secretAccessKeyKey"]["default"], aws.secret_access_key_key);
  Json r = q["rabbitmq"]["properties"];
  EXPECT_EQ(r["vhost"]["default"], rabbit.vhost);
  EXPECT_EQ(r["includeUnacked"]["default"], rabbit.include_unacked);
  EXPECT_EQ(r["credentialsSecretRef"]["properties"]["usernameKey"]["default"], basic.username_key);
  EXPECT_EQ(r["credentialsSecretRef"]["properties"]["passwordKey"]["default"], basic.password_key);
}

}  // namespace
}  // namespace agentfleet::fleet::api
