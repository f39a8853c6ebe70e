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
  auto value = [](const Json& c, const char* name) {
    const Json* e = Env(c, name);
    return e && e->contains("value") ? (*e)["value"].get<std::string>() : std::string("<unset>");
  };
  for (const auto& c : pod["spec"]["containers"]) {
    ASSERT_NE(Env(c, "POD_NAME"), nullptr);
    EXPECT_EQ((*Env(c, "POD_NAME"))["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
    ASSERT_NE(Env(c, "POD_NAMESPACE"), nullptr);
    EXPECT_EQ((*Env(c, "POD_NAMESPACE"))["valueFrom"]["fieldRef"]["fieldPath"],
              "metadata.namespace");
    EXPECT_EQ(value(c, "AGENTFLEET_FLEET"), "shop/pricing");  // the lease-table identity
    EXPECT_EQ(value(c, "AGENTFLEET_SHARDS"), "12");
    EXPECT_EQ(value(c, "AGENTFLEET_ASSIGNMENT_FILE"), "/etc/agentfleet/annotations");
    EXPECT_EQ(value(c, "AGENTFLEET_LEASE_STORE"), "redis://10.0.0.1:6380/2");
    EXPECT_EQ(value(c, "AGENTFLEET_LEASE_KEY_PREFIX"), "agentfleet:pricing:");
    EXPECT_EQ(value(c, "AGENTFLEET_LEASE_DURATION"), "20s");
    EXPECT_EQ(value(c, "AGENTFLEET_QUEUE_URL"), "redis://10.0.0.1:6380/2");
    EXPECT_EQ(value(c, "AGENTFLEET_QUEUE_PREFIX"), "pricing:tasks");
    EXPECT_EQ(value(c, "AGENTFLEET_QUEUE_GROUP"), "agents");
    for (const char* secret : {"AGENTFLEET_LEASE_STORE_PASSWORD", "AGENTFLEET_QUEUE_PASSWORD"}) {
      const Json* e = Env(c, secret);
      ASSERT_NE(e, nullptr) << secret;
      EXPECT_FALSE(e->contains("value")) << "a password in the pod spec";
      EXPECT_EQ((*e)["valueFrom"]["secretKeyRef"]["name"], "pricing-redis");
      EXPECT_EQ((*e)["valueFrom"]["secretKeyRef"]["key"], "password");
    }
  }
  const Json& agent = pod["spec"]["containers"][0];
  ASSERT_NE(Env(agent, "LOG"), nullptr);
  EXPECT_EQ((*Env(agent, "LOG"))["value"], "debug");
}

TEST(AgentPodTest, PostgresLeasesAndANonRedisQueue) {
  api::Fleet f = testing::TestFleet();
  f.spec.leases.store = api::PostgresLeaseStore{"postgresql://agents@db:5432/leases", {}};
  f.spec.queue = api::SqsQueue{.queue_name = "tasks", .region = "eu-west-1"};
  Json c = BuildAgentPod(f, "pricing-0")["spec"]["containers"][0];
  ASSERT_NE(Env(c, "AGENTFLEET_LEASE_STORE"), nullptr);
  EXPECT_EQ((*Env(c, "AGENTFLEET_LEASE_STORE"))["value"], "postgresql://agents@db:5432/leases");
  EXPECT_EQ(Env(c, "AGENTFLEET_LEASE_KEY_PREFIX"), nullptr);
  EXPECT_EQ(Env(c, "AGENTFLEET_LEASE_STORE_PASSWORD"), nullptr);
  EXPECT_EQ(Env(c, "AGENTFLEET_LEASE_STORE_SSLMODE"), nullptr)
      << "absent: the agent resolves the URL's sslmode, else verify-full, as the operator does";

  std::get<api::PostgresLeaseStore>(f.spec.leases.store).ssl_mode = "disable";
  c = BuildAgentPod(f, "pricing-0")["spec"]["containers"][0];
  ASSERT_NE(Env(c, "AGENTFLEET_LEASE_STORE_SSLMODE"), nullptr);
  EXPECT_EQ((*Env(c, "AGENTFLEET_LEASE_STORE_SSLMODE"))["value"], "disable");
}

std::string Value(const Json& c, const std::string& name) {
  const Json* e = Env(c, name);
  return e && e->contains("value") ? (*e)["value"].get<std::string>() : "<unset>";
}

// The reference agent consumes every backend (docs/protocol.md, Agent): the
// operator tells it where the queue is. Credentials for a queue other than
// Redis are the agent's own (the template's), never the operator's: an
// operator that only reads depths should not lend agents its keys.
TEST(AgentPodTest, EveryBackendTellsTheAgentWhereItsQueueIs) {
  api::Fleet f = testing::TestFleet();
  f.spec.queue =
      api::RedisListQueue{"redis://q:6379/1", "pricing:list", api::SecretKeyRef{"s", "pw"}};
  Json c = BuildAgentPod(f, "p-0")["spec"]["containers"][0];
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_BACKEND"), "redis-list");
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_URL"), "redis://q:6379/1");
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_NAME"), "pricing:list");
  ASSERT_NE(Env(c, "AGENTFLEET_QUEUE_PASSWORD"), nullptr);
  EXPECT_EQ((*Env(c, "AGENTFLEET_QUEUE_PASSWORD"))["valueFrom"]["secretKeyRef"]["key"], "pw");

  f.spec.queue = api::SqsQueue{.queue_name = "tasks",
                               .region = "eu-west-1",
                               .credentials_secret_ref = api::AwsCredentialsRef{.name = "aws"}};
  c = BuildAgentPod(f, "p-0")["spec"]["containers"][0];
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_BACKEND"), "sqs");
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_URL"), "https://sqs.eu-west-1.amazonaws.com");
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_NAME"), "tasks");
  EXPECT_EQ(Value(c, "AWS_REGION"), "eu-west-1");
  EXPECT_EQ(Env(c, "AWS_ACCESS_KEY_ID"), nullptr);
  EXPECT_EQ(Env(c, "AWS_SECRET_ACCESS_KEY"), nullptr);

  f.spec.queue = api::SqsQueue{.queue_name = "tasks", .endpoint = "http://elasticmq:9324"};
  c = BuildAgentPod(f, "p-0")["spec"]["containers"][0];
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_URL"), "http://elasticmq:9324");
  EXPECT_EQ(Env(c, "AWS_REGION"), nullptr) << "none known: the template's, if any";

  const std::string url = "https://sqs.us-east-2.amazonaws.com/123456789012/tasks";
  f.spec.queue = api::SqsQueue{.queue_url = url};
  c = BuildAgentPod(f, "p-0")["spec"]["containers"][0];
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_URL"), url);
  EXPECT_EQ(Env(c, "AGENTFLEET_QUEUE_NAME"), nullptr);
  EXPECT_EQ(Value(c, "AWS_REGION"), "us-east-2");

  f.spec.queue =
      api::RabbitMqQueue{.management_url = "http://rmq:15672",
                         .vhost = "pricing",
                         .queue = "pricing-tasks",
                         .credentials_secret_ref = api::BasicCredentialsRef{.name = "m"}};
  c = BuildAgentPod(f, "p-0")["spec"]["containers"][0];
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_BACKEND"), "rabbitmq");
  EXPECT_EQ(Value(c, "AGENTFLEET_QUEUE_NAME"), "pricing-tasks");
  // The management API is not AMQP: the template names the broker.
  EXPECT_EQ(Env(c, "AGENTFLEET_QUEUE_URL"), nullptr);
  EXPECT_EQ(Env(c, "AGENTFLEET_QUEUE_PASSWORD"), nullptr);
}

TEST(AgentPodTest, RedisStreamsPodsKeepTheirEnvironment) {
  // No AGENTFLEET_QUEUE_BACKEND: the agent's default, and the template hash of
  // fleets made before the other backends had agents stays the same.
  Json c = BuildAgentPod(testing::TestFleet(), "p-0")["spec"]["containers"][0];
  EXPECT_EQ(Env(c, "AGENTFLEET_QUEUE_BACKEND"), nullptr);
  EXPECT_EQ(Env(c, "AGENTFLEET_QUEUE_NAME"), nullptr);
}

TEST(AgentPodTest, TemplateWithoutMetadataOrVolumes) {
  api::Fleet f = testing::TestFleet();
  f.spec.pod_template = Json::parse(R"({"spec": {"containers": [{"name": "a", "image": "i"}]}})");
  Json pod = BuildAgentPod(f, "pricing-0");
  EXPECT_EQ(pod["metadata"]["labels"].size(), 3u);  // fleet, managed-by, template-hash
  EXPECT_EQ(pod["spec"]["volumes"].size(), 1u);
  EXPECT_EQ(pod["spec"]["containers"][0]["env"].size(), AgentEnv(f).size());
}

void Paths(const Json& node, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
  out.push_back(at);
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) Paths(v, at / k, out);
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) Paths(node[i], at / i, out);
  }
}

// spec.template is the API's to check (x-kubernetes-preserve-unknown-fields
// in the CRD), so any JSON may stand anywhere in it. Found by the mutation
// run: an env var whose name was a number made every pass throw, so the fleet
// got no status at all. Every odd value at every place of a full template:
// the pod is built (the API server then refuses it, FailedCreate), no throw.
TEST(AgentPodTest, AnyValueAnywhereInTheTemplateBuildsAPod) {
  const Json full = Json::parse(R"({
    "metadata": {"labels": {"a": "b"}, "annotations": {"c": "d"}},
    "spec": {"containers": [{"name": "agent", "image": "i", "args": ["--x"],
                             "env": [{"name": "A", "value": "1"}],
                             "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                             "securityContext": {"runAsNonRoot": true}}],
             "initContainers": [{"name": "init", "image": "i"}],
             "volumes": [{"name": "v", "emptyDir": {}}],
             "securityContext": {"runAsUser": 1000}, "serviceAccountName": "sa"}})");
  const std::vector<Json> odd = {nullptr,
                                 true,
                                 -1,
                                 2147483648.0,
                                 -0.5,
                                 "",
                                 "text",
                                 Json::object(),
                                 Json::array(),
                                 Json::array({1, "two", nullptr}),
                                 Json::object({{"name", 7}})};
  std::vector<Json::json_pointer> paths;
  Paths(full, Json::json_pointer(), paths);
  api::Fleet f = testing::TestFleet();
  for (const auto& at : paths) {
    for (const auto& v : odd) {
      Json t = full;
      t[at] = v;
      f.spec.pod_template = t;
      SCOPED_TRACE(at.to_string() + " = " + v.dump());
      EXPECT_NO_THROW(BuildAgentPod(f, "pricing-0"));
    }
  }
}

// The pod as created passes the restricted Pod Security Standard where the
// template leaves the security settings unset (pod_hardening_test.cpp has the rules).
TEST(AgentPodTest, HardenedWhereTheTemplateIsSilent) {
  Json spec = BuildAgentPod(testing::TestFleet(), "pricing-0")["spec"];
  EXPECT_EQ(spec["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  for (const auto& c : spec["containers"]) {
    EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
    EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], Json::array({"ALL"}));
  }
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
