#include "controller/fleet/reconciler/agent_pod.h"

#include <variant>

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/pod_hardening.h"
#include "controller/fleet/reconciler/revisions.h"
#include "controller/sources/protocol/annotations.h"
#include "controller/sources/queue/sqs_protocol.h"
#include "controller/sources/queue/url.h"

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

Json EnvVar(std::string_view name, std::string value) {
  return {{"name", name}, {"value", std::move(value)}};
}

// Replaces any variable of the same name the template set: the operator's
// values are the ones the agent must see.
void SetEnv(Json& container, const Json& vars) {
  Json env =
      container.contains("env") && container["env"].is_array() ? container["env"] : Json::array();
  Json kept = Json::array();
  for (const auto& e : env) {
    bool overridden = false;
    for (const auto& v : vars) {
      // Compared as JSON, not read as a string: the template may hold anything
      // here (the API server refuses it when the pod is created).
      if (e.is_object() && e.contains("name") && e["name"] == v["name"]) overridden = true;
    }
    if (!overridden) kept.push_back(e);
  }
  for (const auto& v : vars) kept.push_back(v);
  container["env"] = std::move(kept);
}

void AddMount(Json& container) {
  Json mounts = container.contains("volumeMounts") && container["volumeMounts"].is_array()
                    ? container["volumeMounts"]
                    : Json::array();
  mounts.push_back(
      {{"name", kAssignmentVolume}, {"mountPath", kAssignmentDir}, {"readOnly", true}});
  container["volumeMounts"] = std::move(mounts);
}

Json FieldRef(std::string_view name, std::string_view path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}};
}

// A password by reference: the kubelet reads the Secret, the pod spec never
// holds the value.
Json SecretEnv(std::string_view name, const api::SecretKeyRef& ref) {
  return {{"name", name},
          {"valueFrom", {{"secretKeyRef", {{"name", ref.name}, {"key", ref.key}}}}}};
}

// Where the queue is, in the reference agent's variables (docs/protocol.md,
// Agent). A Redis password is passed as for the lease store; the credentials
// of SQS and RabbitMQ are the agent's own, from the template: the operator's
// only read depths and are not lent to agents. Redis streams set no backend,
// the agent's default, so that those fleets' template hash is unchanged.
void AddQueueEnv(const api::QueueSpec& queue, Json& vars) {
  if (const auto* q = std::get_if<api::RedisStreamsQueue>(&queue)) {
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_URL", q->url));
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_PREFIX", q->key_prefix));
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_GROUP", q->consumer_group));
    if (q->password_secret_ref) {
      vars.push_back(SecretEnv("AGENTFLEET_QUEUE_PASSWORD", *q->password_secret_ref));
    }
  } else if (const auto* l = std::get_if<api::RedisListQueue>(&queue)) {
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_BACKEND", "redis-list"));
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_URL", l->url));
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_NAME", l->key));
    if (l->password_secret_ref) {
      vars.push_back(SecretEnv("AGENTFLEET_QUEUE_PASSWORD", *l->password_secret_ref));
    }
  } else if (const auto* sqs = std::get_if<api::SqsQueue>(&queue)) {
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_BACKEND", "sqs"));
    std::optional<sources::queue::Url> queue_url;
    if (!sqs->queue_url.empty()) {
      if (auto u = sources::queue::ParseUrl(sqs->queue_url); u.ok()) queue_url = *u;
    }
    const auto where = sources::queue::sqs::ResolveQueueLocation(queue_url ? &*queue_url : nullptr,
                                                                 sqs->region, sqs->endpoint);
    // The agent needs the queue URL itself when there is one; else where to
    // resolve the name.
    vars.push_back(
        EnvVar("AGENTFLEET_QUEUE_URL", sqs->queue_url.empty() ? where.endpoint : sqs->queue_url));
    if (!sqs->queue_name.empty()) vars.push_back(EnvVar("AGENTFLEET_QUEUE_NAME", sqs->queue_name));
    if (!where.region.empty()) vars.push_back(EnvVar("AWS_REGION", where.region));
  } else if (const auto* r = std::get_if<api::RabbitMqQueue>(&queue)) {
    // The management URL is not the broker's AMQP address: the template sets
    // AGENTFLEET_QUEUE_URL (amqp://user@host:5672/vhost) and the password.
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_BACKEND", "rabbitmq"));
    vars.push_back(EnvVar("AGENTFLEET_QUEUE_NAME", r->queue));
  }
}

}  // namespace

Json AgentEnv(const api::Fleet& fleet) {
  Json vars = Json::array(
      {FieldRef("POD_NAME", "metadata.name"), FieldRef("POD_NAMESPACE", "metadata.namespace"),
       EnvVar("AGENTFLEET_FLEET", api::LeaseFleetId(fleet.meta.namespace_name, fleet.meta.name)),
       EnvVar("AGENTFLEET_SHARDS", std::to_string(fleet.spec.shards)),
       EnvVar("AGENTFLEET_ASSIGNMENT_FILE", std::string(kAssignmentFile)),
       EnvVar("AGENTFLEET_LEASE_DURATION",
              std::to_string(fleet.spec.leases.lease_duration.count()) + "s")});
  std::visit(
      [&vars](const auto& store) {
        vars.push_back(EnvVar("AGENTFLEET_LEASE_STORE", store.url));
        if (store.password_secret_ref) {
          vars.push_back(SecretEnv("AGENTFLEET_LEASE_STORE_PASSWORD", *store.password_secret_ref));
        }
      },
      fleet.spec.leases.store);
  if (const auto* r = std::get_if<api::RedisLeaseStore>(&fleet.spec.leases.store)) {
    vars.push_back(EnvVar("AGENTFLEET_LEASE_KEY_PREFIX", r->key_prefix));
  }
  // Absent, the agent resolves the URL's sslmode, else verify-full, as the operator does.
  const auto* pg = std::get_if<api::PostgresLeaseStore>(&fleet.spec.leases.store);
  if (pg && !pg->ssl_mode.empty()) {
    vars.push_back(EnvVar("AGENTFLEET_LEASE_STORE_SSLMODE", pg->ssl_mode));
  }
  AddQueueEnv(fleet.spec.queue, vars);
  return vars;
}

Json BuildAgentPod(const api::Fleet& fleet, const std::string& pod_name) {
  const Json& tmpl = fleet.spec.pod_template;
  Json tmeta =
      tmpl.contains("metadata") && tmpl["metadata"].is_object() ? tmpl["metadata"] : Json::object();
  Json spec = tmpl.contains("spec") && tmpl["spec"].is_object() ? tmpl["spec"] : Json::object();

  Json labels =
      tmeta.contains("labels") && tmeta["labels"].is_object() ? tmeta["labels"] : Json::object();
  labels[std::string(api::kFleetLabel)] = fleet.meta.name;
  labels[std::string(api::kManagedByLabel)] = api::kManagedByValue;
  labels[std::string(api::kTemplateHashLabel)] = TemplateHash(fleet);
  Json annotations = tmeta.contains("annotations") && tmeta["annotations"].is_object()
                         ? tmeta["annotations"]
                         : Json::object();
  annotations[std::string(sources::protocol::kShardsAnnotation)] = "";
  annotations[std::string(sources::protocol::kAssignmentGenerationAnnotation)] = "0";

  Json volumes =
      spec.contains("volumes") && spec["volumes"].is_array() ? spec["volumes"] : Json::array();
  volumes.push_back(
      {{"name", kAssignmentVolume},
       {"downwardAPI",
        {{"items", Json::array({{{"path", "annotations"},
                                 {"fieldRef", {{"fieldPath", "metadata.annotations"}}}}})}}}});
  spec["volumes"] = std::move(volumes);

  Json vars = AgentEnv(fleet);
  if (spec.contains("containers") && spec["containers"].is_array()) {
    for (auto& c : spec["containers"]) {
      if (!c.is_object()) continue;
      AddMount(c);
      SetEnv(c, vars);
    }
  }
  HardenPodSpec(spec);

  Json owner = {
      {"apiVersion", api::kApiVersion}, {"kind", api::kKind}, {"name", fleet.meta.name},
      {"uid", fleet.meta.uid},          {"controller", true}, {"blockOwnerDeletion", true}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", pod_name},
            {"namespace", fleet.meta.namespace_name},
            {"labels", std::move(labels)},
            {"annotations", std::move(annotations)},
            {"ownerReferences", Json::array({std::move(owner)})}}},
          {"spec", std::move(spec)}};
}

void SetAssignment(Json& pod, const std::string& shard_ranges, int64_t generation) {
  Json& annotations = pod["metadata"]["annotations"];
  annotations[std::string(sources::protocol::kShardsAnnotation)] = shard_ranges;
  annotations[std::string(sources::protocol::kAssignmentGenerationAnnotation)] =
      std::to_string(generation);
}

Json AssignmentPatch(const std::string& shard_ranges, int64_t generation) {
  return {{"metadata",
           {{"annotations",
             {{std::string(sources::protocol::kShardsAnnotation), shard_ranges},
              {std::string(sources::protocol::kAssignmentGenerationAnnotation),
               std::to_string(generation)}}}}}};
}

Json RetiringPatch(const std::string& since) {
  return {{"metadata", {{"annotations", {{std::string(api::kRetiringAnnotation), since}}}}}};
}

}  // namespace agentfleet::fleet::reconciler
