#include "controller/fleet/api/parse.h"

#include <gtest/gtest.h>

#include "controller/fleet/api/names.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::fleet::api {
namespace {

using Json = nlohmann::json;
using testing::LoadYaml;
using testing::SourcePath;

Json Example() {
  return LoadYaml(SourcePath("examples/fleet-redis.yaml"));
}

// The smallest fleet the schema accepts: everything else defaulted.
Json Minimal() {
  return Json::parse(R"({
    "apiVersion": "agentfleet.io/v1alpha1", "kind": "PricingAgentFleet",
    "metadata": {"name": "m", "namespace": "ns"},
    "spec": {
      "queue": {"redisList": {"url": "redis://q:6379", "key": "tasks"}},
      "leases": {"redis": {"url": "redis://l:6379"}},
      "template": {"spec": {"containers": [{"name": "agent", "image": "img"}]}}}})");
}

// spec.autoscaling with one Resource metric of `name` and `target`.
void WithMetric(Json& j, const std::string& name, const Json& target) {
  j["spec"]["autoscaling"] = {
      {"maxReplicas", 3},
      {"metrics", {{{"type", "Resource"}, {"resource", {{"name", name}, {"target", target}}}}}}};
}

TEST(ParseFleet, ResourceMetrics) {
  Json j = Example();
  j["spec"]["autoscaling"]["metrics"] = Json::parse(R"([
    {"type": "Resource", "resource": {"name": "cpu",
      "target": {"type": "Utilization", "averageUtilization": 70}}},
    {"type": "Resource", "resource": {"name": "memory",
      "target": {"type": "AverageValue", "averageValue": "256Mi"}}}])");
  auto f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().message;
  const auto& m = f->spec.autoscaling->metrics;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].name, ResourceMetricName::kCpu);
  EXPECT_EQ(m[0].average_utilization, 70);
  EXPECT_FALSE(m[0].average_value);
  EXPECT_EQ(m[1].name, ResourceMetricName::kMemory);
  EXPECT_EQ(m[1].average_value, 256 * 1024 * 1024);
  j["spec"]["autoscaling"]["metrics"][0]["resource"]["target"] = {{"type", "AverageValue"},
                                                                  {"averageValue", "500m"}};
  f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->spec.autoscaling->metrics[0].average_value, 500);  // millicores
}

TEST(ParseFleet, CanonicalExample) {
  auto f = ParseFleet(Example());
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->meta.name, "pricing");
  EXPECT_EQ(f->spec.shards, 64);
  EXPECT_FALSE(f->spec.Manual());
  const auto& a = *f->spec.autoscaling;
  EXPECT_EQ(a.min_replicas, 1);
  EXPECT_EQ(a.max_replicas, 16);
  EXPECT_EQ(a.target_queue_depth_per_agent, 100);
  EXPECT_EQ(a.poll_interval, Seconds{5});
  // scaleDown given in part: the rest from HPA's scale-down defaults.
  EXPECT_EQ(a.behavior.scale_down.stabilization_window, Seconds{60});
  EXPECT_EQ(a.behavior.scale_down.select_policy, SelectPolicy::kMax);
  ASSERT_EQ(a.behavior.scale_down.policies.size(), 1u);
  EXPECT_EQ(a.behavior.scale_down.policies[0],
            (ScalingPolicy{PolicyType::kPercent, 50, Seconds{30}}));
  EXPECT_EQ(a.behavior.scale_up, DefaultScaleUpRules());
  ASSERT_TRUE(a.fallback.has_value());
  EXPECT_EQ(a.fallback->failure_threshold, 3);
  EXPECT_EQ(a.fallback->replicas, 4);
  const auto* q = std::get_if<RedisStreamsQueue>(&f->spec.queue);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(QueueKindName(f->spec.queue), "redisStreams");
  EXPECT_EQ(q->key_prefix, "pricing:tasks");
  EXPECT_EQ(q->consumer_group, "pricing-agents");
  EXPECT_EQ(q->password_secret_ref, (SecretKeyRef{"pricing-redis", "password"}));
  const auto* l = std::get_if<RedisLeaseStore>(&f->spec.leases.store);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->key_prefix, "agentfleet:pricing:");
  EXPECT_EQ(f->spec.leases.lease_duration, Seconds{15});
  EXPECT_EQ(f->spec.retirement.drain_timeout, Seconds{300});
  EXPECT_EQ(f->spec.pod_template["spec"]["containers"][0]["name"], "agent");
}

TEST(ParseFleet, DefaultsMatchTheCrd) {
  auto f = ParseFleet(Minimal());
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->spec.shards, 256);
  EXPECT_TRUE(f->spec.Manual());
  EXPECT_EQ(f->spec.ManualReplicas(), 1);
  EXPECT_EQ(f->spec.leases.lease_duration, Seconds{15});
  EXPECT_EQ(std::get<RedisLeaseStore>(f->spec.leases.store).key_prefix, "agentfleet:");
  EXPECT_EQ(f->spec.retirement.drain_timeout, Seconds{300});
  EXPECT_EQ(f->status, FleetStatus{});
  EXPECT_FALSE(f->Paused());
  EXPECT_FALSE(f->HasFinalizer());
}

TEST(ParseFleet, AutoscalingDefaultsAreHpaV2) {
  Json j = Minimal();
  j["spec"]["autoscaling"] = {{"maxReplicas", 5}};
  auto f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  const auto& a = *f->spec.autoscaling;
  EXPECT_EQ(a.min_replicas, 1);
  EXPECT_EQ(a.target_queue_depth_per_agent, 100);
  EXPECT_EQ(a.activation_queue_depth, 0);
  EXPECT_EQ(a.poll_interval, Seconds{5});
  EXPECT_FALSE(a.fallback.has_value());
  EXPECT_EQ(a.behavior.scale_up.stabilization_window, Seconds{0});
  ASSERT_EQ(a.behavior.scale_up.policies.size(), 2u);
  EXPECT_EQ(a.behavior.scale_up.policies[0],
            (ScalingPolicy{PolicyType::kPercent, 100, Seconds{15}}));
  EXPECT_EQ(a.behavior.scale_up.policies[1], (ScalingPolicy{PolicyType::kPods, 4, Seconds{15}}));
  EXPECT_EQ(a.behavior.scale_down.stabilization_window, Seconds{300});
  ASSERT_EQ(a.behavior.scale_down.policies.size(), 1u);
  EXPECT_EQ(a.behavior.scale_down.policies[0],
            (ScalingPolicy{PolicyType::kPercent, 100, Seconds{15}}));
}

TEST(ParseFleet, BehaviorFillsMissingFieldsPerField) {
  Json j = Minimal();
  j["spec"]["autoscaling"] = {
      {"maxReplicas", 5},
      {"behavior",
       {{"scaleUp", {{"selectPolicy", "Disabled"}}},
        {"scaleDown",
         {{"policies", Json::array({{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 60}}})}}}}}};
  auto f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  const auto& b = f->spec.autoscaling->behavior;
  EXPECT_EQ(b.scale_up.select_policy, SelectPolicy::kDisabled);
  EXPECT_EQ(b.scale_up.policies, DefaultScaleUpRules().policies);
  EXPECT_EQ(b.scale_down.stabilization_window, Seconds{300});
  EXPECT_EQ(b.scale_down.policies,
            (std::vector<ScalingPolicy>{{PolicyType::kPods, 1, Seconds{60}}}));
}

TEST(ParseFleet, OtherBackendsAndTheirDefaults) {
  Json j = Minimal();
  j["spec"]["queue"] = {{"sqs",
                         {{"queueName", "tasks"},
                          {"region", "eu-west-1"},
                          {"credentialsSecretRef", {{"name", "aws"}}}}}};
  j["spec"]["leases"] = {{"postgres",
                          {{"url", "postgresql://agent@db/leases"},
                           {"passwordSecretRef", {{"name", "pg"}, {"key", "pw"}}}}},
                         {"leaseDurationSeconds", 30}};
  auto f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  const auto& sqs = std::get<SqsQueue>(f->spec.queue);
  EXPECT_TRUE(sqs.scale_on_in_flight);
  EXPECT_FALSE(sqs.scale_on_delayed);
  EXPECT_EQ(sqs.credentials_secret_ref->access_key_id_key, "accessKeyID");
  EXPECT_EQ(sqs.credentials_secret_ref->secret_access_key_key, "secretAccessKey");
  EXPECT_EQ(std::get<PostgresLeaseStore>(f->spec.leases.store).password_secret_ref->key, "pw");
  EXPECT_EQ(std::get<PostgresLeaseStore>(f->spec.leases.store).ssl_mode, "")
      << "absent: the URL's sslmode, else verify-full, decided where it is used";
  EXPECT_EQ(f->spec.leases.lease_duration, Seconds{30});
  j["spec"]["leases"]["postgres"]["sslMode"] = "verify-ca";
  f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(std::get<PostgresLeaseStore>(f->spec.leases.store).ssl_mode, "verify-ca");

  j["spec"]["queue"] = {{"rabbitmq",
                         {{"managementURL", "http://rabbit:15672"},
                          {"queue", "tasks"},
                          {"credentialsSecretRef", {{"name", "rabbit"}}}}}};
  f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  const auto& rabbit = std::get<RabbitMqQueue>(f->spec.queue);
  EXPECT_EQ(rabbit.vhost, "/");
  EXPECT_FALSE(rabbit.include_unacked);
  EXPECT_EQ(rabbit.credentials_secret_ref->username_key, "username");
  EXPECT_EQ(rabbit.credentials_secret_ref->password_key, "password");
}

TEST(ParseFleet, UpdateStrategyDefaultsAndForms) {
  auto f = ParseFleet(Minimal());
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->spec.update_strategy.type, UpdateStrategyType::kRollingUpdate);
  EXPECT_EQ(f->spec.update_strategy.max_surge, (IntOrPercent{25, true}));
  EXPECT_EQ(f->spec.update_strategy.max_unavailable, (IntOrPercent{0, false}));
  EXPECT_EQ(f->spec.progress_deadline, Seconds{600});

  Json j = Minimal();
  j["spec"]["updateStrategy"] = Json::parse(
      R"({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": "50%"}})");
  j["spec"]["progressDeadlineSeconds"] = 120;
  f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->spec.update_strategy.max_surge, (IntOrPercent{2, false}));
  EXPECT_EQ(f->spec.update_strategy.max_unavailable, (IntOrPercent{50, true}));
  EXPECT_EQ(f->spec.progress_deadline, Seconds{120});

  j["spec"]["updateStrategy"] = Json::parse(R"({"type": "OnDelete"})");
  f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->spec.update_strategy.type, UpdateStrategyType::kOnDelete);
}

TEST(ParseFleet, UpdateStrategyRefusals) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type": "Recreate"})", "spec.updateStrategy.type: must be RollingUpdate or OnDelete"},
      {R"({"type": "OnDelete", "rollingUpdate": {"maxSurge": 1}})",
       "spec.updateStrategy.rollingUpdate: may be set only with type RollingUpdate"},
      {R"({"rollingUpdate": {"maxSurge": "150%"}})",
       "spec.updateStrategy.rollingUpdate.maxSurge: must be a count of 0 or more or a percent"},
      {R"({"rollingUpdate": {"maxSurge": -1}})", "spec.updateStrategy.rollingUpdate.maxSurge"},
      {R"({"rollingUpdate": {"maxUnavailable": "ten"}})",
       "spec.updateStrategy.rollingUpdate.maxUnavailable: must be a count"},
      {R"({"rollingUpdate": {"maxSurge": 0}})", "must not both be 0"},
      {R"({"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": 0}})", "must not both be 0"},
  };
  for (const auto& [strategy, want] : cases) {
    SCOPED_TRACE(strategy);
    Json j = Minimal();
    j["spec"]["updateStrategy"] = Json::parse(strategy);
    auto f = ParseFleet(j);
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message.find(want), std::string::npos) << f.error().message;
  }
  Json j = Minimal();
  j["spec"]["progressDeadlineSeconds"] = 0;
  EXPECT_FALSE(ParseFleet(j).ok());
}

TEST(ParseFleet, MetadataNamesTheOperatorReads) {
  Json j = Minimal();
  j["metadata"]["annotations"] = {{std::string(kPausedAnnotation), "true"}, {"other.io/x", "y"}};
  j["metadata"]["finalizers"] = {std::string(kLeaseCleanupFinalizer)};
  j["metadata"]["generation"] = 7;
  auto f = ParseFleet(j);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_TRUE(f->Paused());
  EXPECT_TRUE(f->HasFinalizer());
  EXPECT_EQ(f->meta.generation, 7);
  EXPECT_EQ(f->meta.annotations.size(), 1u);  // only agentfleet.io/ ones are kept
  j["metadata"]["annotations"][std::string(kPausedAnnotation)] = "false";
  EXPECT_FALSE(ParseFleet(j)->Paused());
}

struct BadCase {
  const char* name;
  std::function<void(Json&)> mutate;
  const char* want;  // substring of the error message
};

TEST(ParseFleet, RejectsWithTheFieldNamed) {
  const std::vector<BadCase> cases = {
      {"not an object", [](Json& j) { j = Json::array(); }, "not a JSON object"},
      {"no name", [](Json& j) { j["metadata"].erase("name"); }, "metadata.name: Required"},
      {"a name no label can hold", [](Json& j) { j["metadata"]["name"] = std::string(64, 'n'); },
       "metadata.name: must be at most 63 characters: every agent pod is labelled "
       "agentfleet.io/fleet=<name>"},
      {"no spec", [](Json& j) { j.erase("spec"); }, "spec: Required"},
      {"spec not object", [](Json& j) { j["spec"] = 3; }, "spec: must be an object"},
      {"shards zero", [](Json& j) { j["spec"]["shards"] = 0; },
       "spec.shards: must be between 1 and 65536"},
      {"more shards than the agents support", [](Json& j) { j["spec"]["shards"] = 65537; },
       "spec.shards: must be between 1 and 65536"},
      {"shards string", [](Json& j) { j["spec"]["shards"] = "64"; },
       "spec.shards: must be an integer"},
      {"shards float", [](Json& j) { j["spec"]["shards"] = 6.5; },
       "spec.shards: must be an integer"},
      {"shards huge unsigned", [](Json& j) { j["spec"]["shards"] = 18446744073709551615ull; },
       "spec.shards: is out of range"},
      {"replicas negative", [](Json& j) { j["spec"]["replicas"] = -1; },
       "spec.replicas: must be between 0"},
      {"replicas over shards",
       [](Json& j) {
         j["spec"]["shards"] = 4;
         j["spec"]["replicas"] = 5;
       },
       "spec.replicas: must not exceed spec.shards"},
      {"replicas with autoscaling",
       [](Json& j) {
         j["spec"]["replicas"] = 2;
         j["spec"]["autoscaling"] = {{"maxReplicas", 3}};
       },
       "spec.replicas: must not be set together with spec.autoscaling"},
      {"min over max",
       [](Json& j) {
         j["spec"]["autoscaling"] = {{"minReplicas", 4}, {"maxReplicas", 3}};
       },
       "spec.autoscaling.minReplicas: must be less than or equal to maxReplicas"},
      {"max over shards",
       [](Json& j) {
         j["spec"]["shards"] = 8;
         j["spec"]["autoscaling"] = {{"maxReplicas", 9}};
       },
       "spec.autoscaling.maxReplicas: must not exceed spec.shards"},
      {"max missing", [](Json& j) { j["spec"]["autoscaling"] = Json::object(); },
       "spec.autoscaling.maxReplicas: Required value"},
      {"fallback over max",
       [](Json& j) {
         j["spec"]["autoscaling"] = {{"maxReplicas", 3}, {"fallback", {{"replicas", 4}}}};
       },
       "spec.autoscaling.fallback.replicas: must be less than or equal to maxReplicas"},
      {"metric name",
       [](Json& j) {
         WithMetric(j, "gpu", {{"type", "Utilization"}, {"averageUtilization", 5}});
       },
       "spec.autoscaling.metrics[0].resource.name: must be one of cpu, memory"},
      {"metric repeated",
       [](Json& j) {
         WithMetric(j, "cpu", {{"type", "Utilization"}, {"averageUtilization", 5}});
         j["spec"]["autoscaling"]["metrics"].push_back(j["spec"]["autoscaling"]["metrics"][0]);
       },
       "spec.autoscaling.metrics[1].resource.name: must not repeat: cpu"},
      {"utilization with a value",
       [](Json& j) {
         WithMetric(j, "cpu",
                    {{"type", "Utilization"}, {"averageUtilization", 5}, {"averageValue", "1"}});
       },
       "spec.autoscaling.metrics[0].resource.target.averageValue: must not be set when type is "
       "Utilization"},
      {"average value not a quantity",
       [](Json& j) {
         WithMetric(j, "memory", {{"type", "AverageValue"}, {"averageValue", "256MB"}});
       },
       "spec.autoscaling.metrics[0].resource.target.averageValue: \"256MB\" is not a quantity"},
      {"average value missing",
       [](Json& j) {
         WithMetric(j, "memory", {{"type", "AverageValue"}});
       },
       "spec.autoscaling.metrics[0].resource.target.averageValue: is required when type is "
       "AverageValue"},
      {"bad select policy",
       [](Json& j) {
         j["spec"]["autoscaling"] = {{"maxReplicas", 3},
                                     {"behavior", {{"scaleUp", {{"selectPolicy", "Most"}}}}}};
       },
       "spec.autoscaling.behavior.scaleUp.selectPolicy: must be one of Max, Min, Disabled"},
      {"bad policy type",
       [](Json& j) {
         j["spec"]["autoscaling"] = {
             {"maxReplicas", 3},
             {"behavior",
              {{"scaleDown",
                {{"policies", {{{"type", "Nodes"}, {"value", 1}, {"periodSeconds", 1}}}}}}}}};
       },
       "spec.autoscaling.behavior.scaleDown.policies[0].type: must be one of Pods, Percent"},
      {"too many policies",
       [](Json& j) {
         Json p = Json::array();
         for (int i = 0; i < 11; ++i)
           p.push_back({{"type", "Pods"}, {"value", 1}, {"periodSeconds", 1}});
         j["spec"]["autoscaling"] = {{"maxReplicas", 3},
                                     {"behavior", {{"scaleUp", {{"policies", p}}}}}};
       },
       "policies: must have at most 10 items"},
      {"empty policies",
       [](Json& j) {
         j["spec"]["autoscaling"] = {{"maxReplicas", 3},
                                     {"behavior", {{"scaleUp", {{"policies", Json::array()}}}}}};
       },
       "spec.autoscaling.behavior.scaleUp.policies: must have at least 1 item"},
      {"period too long",
       [](Json& j) {
         j["spec"]["autoscaling"] = {
             {"maxReplicas", 3},
             {"behavior",
              {{"scaleUp",
                {{"policies", {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 1801}}}}}}}}};
       },
       "policies[0].periodSeconds: must be between 1 and 1800"},
      {"no queue", [](Json& j) { j["spec"].erase("queue"); }, "spec.queue: Required value"},
      {"empty queue", [](Json& j) { j["spec"]["queue"] = Json::object(); },
       "spec.queue: must set exactly one of redisStreams, redisList, sqs, rabbitmq"},
      {"two queues",
       [](Json& j) {
         j["spec"]["queue"]["rabbitmq"] = {{"managementURL", "http://r"}, {"queue", "q"}};
       },
       "spec.queue: must set exactly one of"},
      {"queue url scheme", [](Json& j) { j["spec"]["queue"]["redisList"]["url"] = "http://q"; },
       "spec.queue.redisList.url: must start with redis:// or rediss://"},
      {"long key", [](Json& j) { j["spec"]["queue"]["redisList"]["key"] = std::string(513, 'k'); },
       "spec.queue.redisList.key: may not be longer than 512"},
      {"empty key", [](Json& j) { j["spec"]["queue"]["redisList"]["key"] = ""; },
       "spec.queue.redisList.key: must not be empty"},
      {"secret ref without key",
       [](Json& j) {
         j["spec"]["queue"]["redisList"]["passwordSecretRef"] = {{"name", "s"}};
       },
       "spec.queue.redisList.passwordSecretRef.key: Required value"},
      {"sqs url and name",
       [](Json& j) {
         j["spec"]["queue"] = {{"sqs", {{"queueURL", "http://sqs/q"}, {"queueName", "q"}}}};
       },
       "spec.queue.sqs: must set exactly one of queueURL, queueName"},
      {"sqs name without region",
       [](Json& j) {
         j["spec"]["queue"] = {{"sqs", {{"queueName", "q"}}}};
       },
       "spec.queue.sqs.queueName: needs region or endpoint"},
      {"sqs bool",
       [](Json& j) {
         j["spec"]["queue"] = {{"sqs", {{"queueURL", "http://sqs/q"}, {"scaleOnInFlight", "yes"}}}};
       },
       "spec.queue.sqs.scaleOnInFlight: must be a boolean"},
      {"rabbit url",
       [](Json& j) {
         j["spec"]["queue"] = {{"rabbitmq", {{"managementURL", "amqp://r"}, {"queue", "q"}}}};
       },
       "spec.queue.rabbitmq.managementURL: must start with http://"},
      {"no lease store",
       [](Json& j) {
         j["spec"]["leases"] = {{"leaseDurationSeconds", 10}};
       },
       "spec.leases: must set exactly one of redis, postgres"},
      {"two lease stores",
       [](Json& j) {
         j["spec"]["leases"]["postgres"] = {{"url", "postgres://db/x"}};
       },
       "spec.leases: must set exactly one of redis, postgres"},
      {"postgres sslMode prefer",
       [](Json& j) {
         j["spec"]["leases"] = {{"postgres", {{"url", "postgres://db/x"}, {"sslMode", "prefer"}}}};
       },
       "spec.leases.postgres.sslMode: must be one of disable, require, verify-ca, verify-full"},
      {"lease duration zero", [](Json& j) { j["spec"]["leases"]["leaseDurationSeconds"] = 0; },
       "spec.leases.leaseDurationSeconds: must be between 1 and 3600"},
      {"no template", [](Json& j) { j["spec"].erase("template"); },
       "spec.template: Required value"},
      {"no containers",
       [](Json& j) { j["spec"]["template"]["spec"]["containers"] = Json::array(); },
       "spec.template.spec.containers: must have at least 1 item"},
      {"container without image",
       [](Json& j) { j["spec"]["template"]["spec"]["containers"][0].erase("image"); },
       "spec.template.spec.containers[0].image: Required value"},
      {"label not string",
       [](Json& j) {
         j["spec"]["template"]["metadata"] = {{"labels", {{"a", 1}}}};
       },
       "spec.template.metadata.labels.a: must be a string"},
      {"template sets the fleet label",
       [](Json& j) {
         j["spec"]["template"]["metadata"] = {{"labels", {{"agentfleet.io/fleet", "other"}}}};
       },
       "spec.template.metadata.labels.agentfleet.io/fleet: is set by the operator"},
      {"template sets the shards annotation",
       [](Json& j) {
         j["spec"]["template"]["metadata"] = {{"annotations", {{"agentfleet.io/shards", "0-3"}}}};
       },
       "spec.template.metadata.annotations.agentfleet.io/shards: is set by the operator"},
      {"drain negative",
       [](Json& j) {
         j["spec"]["retirement"] = {{"drainTimeoutSeconds", -1}};
       },
       "spec.retirement.drainTimeoutSeconds: must be between 0 and 86400"},
  };
  for (const auto& c : cases) {
    Json j = Minimal();
    c.mutate(j);
    auto f = ParseFleet(j);
    ASSERT_FALSE(f.ok()) << c.name;
    EXPECT_EQ(f.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_NE(f.error().message.find(c.want), std::string::npos)
        << c.name << ": got \"" << f.error().message << "\", want \"" << c.want << "\"";
  }
}

TEST(ParseFleet, ExampleSecretIsTheOneTheFleetReferences) {
  Json secret = LoadYaml(SourcePath("examples/fleet-redis-secret.yaml"));
  auto f = ParseFleet(Example());
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  const auto& queue_ref = *std::get<RedisStreamsQueue>(f->spec.queue).password_secret_ref;
  const auto& lease_ref = *std::get<RedisLeaseStore>(f->spec.leases.store).password_secret_ref;
  for (const auto* ref : {&queue_ref, &lease_ref}) {
    EXPECT_EQ(secret["metadata"]["name"], ref->name);
    EXPECT_TRUE(secret["stringData"].contains(ref->key)) << ref->key;
  }
}

TEST(ParseFleet, APasswordInAUrlIsRejectedWithoutBeingQuoted) {
  const std::string secret = "s3cr3t-planted-password";
  for (const char* field : {"queue", "leases"}) {
    Json j = Minimal();
    if (std::string(field) == "queue") {
      j["spec"]["queue"]["redisList"]["url"] = "redis://user:" + secret + "@q:6379";
    } else {
      j["spec"]["leases"] = {{"postgres", {{"url", "postgresql://agent:" + secret + "@db/x"}}}};
    }
    auto f = ParseFleet(j);
    ASSERT_FALSE(f.ok()) << field;
    EXPECT_NE(f.error().message.find("must not carry a password"), std::string::npos)
        << f.error().message;
    EXPECT_EQ(f.error().ToString().find(secret), std::string::npos) << f.error().ToString();
  }
}

}  // namespace
}  // namespace agentfleet::fleet::api

namespace agentfleet::fleet::api {
namespace {

// Metadata is read leniently: a wrongly typed member is ignored, not fatal.
TEST(ParseFleet, MalformedOwnerReferenceIsIgnored) {
  auto j =
      nlohmann::json::parse(R"({"apiVersion":"agentfleet.io/v1alpha1","kind":"PricingAgentFleet",
    "metadata":{"name":"m","namespace":"ns","ownerReferences":[{"name":"x","controller":"yes"}]}})");
  auto f = ParseFleet(j);
  if (f.ok()) {
    EXPECT_EQ(f->meta.ControllerOwner(), nullptr);
  } else {
    EXPECT_EQ(f.error().message.find("metadata"), std::string::npos) << f.error().message;
  }
}

}  // namespace
}  // namespace agentfleet::fleet::api
