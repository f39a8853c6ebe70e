#include <string>

#include "controller/fleet/api/json_reader.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/sources/protocol/annotations.h"

namespace agentfleet::fleet::api {
namespace {

using detail::Join;
using detail::JsonReader;
using Json = nlohmann::json;

// The schema's bounds, repeated here for objects that did not go through it.
constexpr int64_t kMaxReplicas = 1'000'000;
constexpr int64_t kMaxDepth = 1'000'000'000;
constexpr size_t kMaxUrl = 1024;
constexpr size_t kMaxName = 253;
constexpr size_t kMaxKeyPrefix = 128;

bool StartsWith(const std::string& s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (s.starts_with(p)) return true;
  }
  return false;
}

// A URL that must not carry a password: credentials belong in a Secret.
std::string Url(JsonReader& r, const Json& parent, const std::string& path,
                std::initializer_list<std::string_view> schemes, bool required = true) {
  auto url = r.String(parent, path, "url", kMaxUrl, required).value_or("");
  if (r.failed() || url.empty()) return url;
  if (!StartsWith(url, schemes)) {
    std::string want;
    for (auto s : schemes) want += (want.empty() ? "" : " or ") + std::string(s);
    r.Fail(Join(path, "url"), "must start with " + want);
  }
  auto scheme_end = url.find("://");
  auto at = url.find('@');
  auto slash = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (at != std::string::npos && (slash == std::string::npos || at < slash) &&
      url.substr(0, at).find(':', scheme_end + 1) != std::string::npos) {
    // Never quote the URL: it holds a password.
    r.Fail(Join(path, "url"), "must not carry a password: use passwordSecretRef");
  }
  return url;
}

std::optional<SecretKeyRef> SecretRef(JsonReader& r, const Json& parent, const std::string& path,
                                      std::string_view key) {
  const Json* o = r.Object(parent, path, key);
  if (o == nullptr) return std::nullopt;
  std::string p = Join(path, key);
  SecretKeyRef ref;
  ref.name = r.String(*o, p, "name", kMaxName, true).value_or("");
  ref.key = r.String(*o, p, "key", kMaxName, true).value_or("");
  return ref;
}

TlsSpec Tls(JsonReader& r, const Json& parent, const std::string& path) {
  TlsSpec tls;
  const Json* o = r.Object(parent, path, "tls");
  if (o == nullptr) return tls;
  std::string p = Join(path, "tls");
  tls.ca_secret_ref = SecretRef(r, *o, p, "caSecretRef");
  tls.server_name = r.String(*o, p, "serverName", kMaxName).value_or("");
  return tls;
}

RedisStreamsQueue ParseRedisStreams(JsonReader& r, const Json& o, const std::string& p) {
  RedisStreamsQueue q;
  q.url = Url(r, o, p, {"redis://", "rediss://"});
  q.key_prefix = r.String(o, p, "keyPrefix", kMaxKeyPrefix, true).value_or("");
  q.consumer_group = r.String(o, p, "consumerGroup", kMaxKeyPrefix, true).value_or("");
  q.password_secret_ref = SecretRef(r, o, p, "passwordSecretRef");
  q.tls = Tls(r, o, p);
  return q;
}

RedisListQueue ParseRedisList(JsonReader& r, const Json& o, const std::string& p) {
  RedisListQueue q;
  q.url = Url(r, o, p, {"redis://", "rediss://"});
  q.key = r.String(o, p, "key", 512, true).value_or("");
  q.password_secret_ref = SecretRef(r, o, p, "passwordSecretRef");
  q.tls = Tls(r, o, p);
  return q;
}

SqsQueue ParseSqs(JsonReader& r, const Json& o, const std::string& p) {
  SqsQueue q;
  q.queue_url = r.String(o, p, "queueURL", kMaxUrl).value_or("");
  q.queue_name = r.String(o, p, "queueName", 80).value_or("");
  q.region = r.String(o, p, "region", 32).value_or("");
  q.endpoint = r.String(o, p, "endpoint", kMaxUrl).value_or("");
  if (!r.failed() && q.queue_url.empty() == q.queue_name.empty()) {
    r.Fail(p, "must set exactly one of queueURL, queueName");
  }
  if (!r.failed() && q.queue_url.empty() && q.region.empty() && q.endpoint.empty()) {
    r.Fail(Join(p, "queueName"), "needs region or endpoint to find the queue");
  }
  if (const Json* c = r.Object(o, p, "credentialsSecretRef")) {
    std::string cp = Join(p, "credentialsSecretRef");
    AwsCredentialsRef ref;
    ref.name = r.String(*c, cp, "name", kMaxName, true).value_or("");
    ref.access_key_id_key =
        r.String(*c, cp, "accessKeyIDKey", kMaxName).value_or(ref.access_key_id_key);
    ref.secret_access_key_key =
        r.String(*c, cp, "secretAccessKeyKey", kMaxName).value_or(ref.secret_access_key_key);
    ref.session_token_key = r.String(*c, cp, "sessionTokenKey", kMaxName).value_or("");
    q.credentials_secret_ref = std::move(ref);
  }
  q.scale_on_in_flight = r.Bool(o, p, "scaleOnInFlight").value_or(true);
  q.scale_on_delayed = r.Bool(o, p, "scaleOnDelayed").value_or(false);
  return q;
}

RabbitMqQueue ParseRabbitMq(JsonReader& r, const Json& o, const std::string& p) {
  RabbitMqQueue q;
  q.management_url = r.String(o, p, "managementURL", kMaxUrl, true).value_or("");
  if (!r.failed() && !StartsWith(q.management_url, {"http://", "https://"})) {
    r.Fail(Join(p, "managementURL"), "must start with http:// or https://");
  }
  q.vhost = r.String(o, p, "vhost", 255).value_or("/");
  q.queue = r.String(o, p, "queue", 255, true).value_or("");
  if (const Json* c = r.Object(o, p, "credentialsSecretRef")) {
    std::string cp = Join(p, "credentialsSecretRef");
    BasicCredentialsRef ref;
    ref.name = r.String(*c, cp, "name", kMaxName, true).value_or("");
    ref.username_key = r.String(*c, cp, "usernameKey", kMaxName).value_or(ref.username_key);
    ref.password_key = r.String(*c, cp, "passwordKey", kMaxName).value_or(ref.password_key);
    q.credentials_secret_ref = std::move(ref);
  }
  q.include_unacked = r.Bool(o, p, "includeUnacked").value_or(false);
  return q;
}

QueueSpec ParseQueue(JsonReader& r, const Json& spec) {
  const Json* q = r.Object(spec, "spec", "queue", true);
  if (q == nullptr) return {};
  const std::string p = "spec.queue";
  int set = 0;
  QueueSpec out;
  if (const Json* o = r.Object(*q, p, "redisStreams")) {
    ++set;
    out = ParseRedisStreams(r, *o, Join(p, "redisStreams"));
  }
  if (const Json* o = r.Object(*q, p, "redisList")) {
    ++set;
    out = ParseRedisList(r, *o, Join(p, "redisList"));
  }
  if (const Json* o = r.Object(*q, p, "sqs")) {
    ++set;
    out = ParseSqs(r, *o, Join(p, "sqs"));
  }
  if (const Json* o = r.Object(*q, p, "rabbitmq")) {
    ++set;
    out = ParseRabbitMq(r, *o, Join(p, "rabbitmq"));
  }
  if (set != 1) r.Fail(p, "must set exactly one of redisStreams, redisList, sqs, rabbitmq");
  return out;
}

LeaseSpec ParseLeases(JsonReader& r, const Json& spec) {
  LeaseSpec out;
  const Json* l = r.Object(spec, "spec", "leases", true);
  if (l == nullptr) return out;
  const std::string p = "spec.leases";
  out.lease_duration = Seconds{r.Int(*l, p, "leaseDurationSeconds", 1, 3600).value_or(15)};
  int set = 0;
  if (const Json* o = r.Object(*l, p, "redis")) {
    ++set;
    std::string rp = Join(p, "redis");
    RedisLeaseStore s;
    s.url = Url(r, *o, rp, {"redis://", "rediss://"});
    s.key_prefix = r.String(*o, rp, "keyPrefix", kMaxKeyPrefix).value_or(s.key_prefix);
    if (!r.failed() && s.key_prefix.empty()) r.Fail(Join(rp, "keyPrefix"), "must not be empty");
    s.password_secret_ref = SecretRef(r, *o, rp, "passwordSecretRef");
    s.tls = Tls(r, *o, rp);
    out.store = std::move(s);
  }
  if (const Json* o = r.Object(*l, p, "postgres")) {
    ++set;
    std::string pp = Join(p, "postgres");
    PostgresLeaseStore s;
    s.url = Url(r, *o, pp, {"postgres://", "postgresql://"});
    s.password_secret_ref = SecretRef(r, *o, pp, "passwordSecretRef");
    out.store = std::move(s);
  }
  if (set != 1) r.Fail(p, "must set exactly one of redis, postgres");
  return out;
}

ScalingRules ParseRules(JsonReader& r, const Json& behavior, const std::string& path,
                        std::string_view key, ScalingRules rules) {
  const Json* o = r.Object(behavior, path, key);
  if (o == nullptr) return rules;
  std::string p = Join(path, key);
  if (auto w = r.Int(*o, p, "stabilizationWindowSeconds", 0, 3600)) {
    rules.stabilization_window = Seconds{*w};
  }
  if (auto s = r.String(*o, p, "selectPolicy", 16)) {
    if (*s == "Max") {
      rules.select_policy = SelectPolicy::kMax;
    } else if (*s == "Min") {
      rules.select_policy = SelectPolicy::kMin;
    } else if (*s == "Disabled") {
      rules.select_policy = SelectPolicy::kDisabled;
    } else {
      r.Fail(Join(p, "selectPolicy"), "must be one of Max, Min, Disabled");
    }
  }
  if (const Json* list = r.Array(*o, p, "policies", 10)) {
    rules.policies.clear();
    std::string lp = Join(p, "policies");
    if (list->empty()) r.Fail(lp, "must have at least 1 item");
    for (size_t i = 0; i < list->size() && !r.failed(); ++i) {
      std::string ip = detail::Index(lp, i);
      const Json& item = (*list)[i];
      if (!item.is_object()) {
        r.Fail(ip, "must be an object");
        break;
      }
      ScalingPolicy policy;
      auto type = r.String(item, ip, "type", 16, true).value_or("");
      if (type == "Pods") {
        policy.type = PolicyType::kPods;
      } else if (type == "Percent") {
        policy.type = PolicyType::kPercent;
      } else if (!r.failed()) {
        r.Fail(Join(ip, "type"), "must be one of Pods, Percent");
      }
      policy.value =
          static_cast<int32_t>(r.Int(item, ip, "value", 1, kMaxReplicas, true).value_or(1));
      policy.period = Seconds{r.Int(item, ip, "periodSeconds", 1, 1800, true).value_or(15)};
      rules.policies.push_back(policy);
    }
  }
  return rules;
}

std::optional<AutoscalingSpec> ParseAutoscaling(JsonReader& r, const Json& spec) {
  const Json* a = r.Object(spec, "spec", "autoscaling");
  if (a == nullptr) return std::nullopt;
  const std::string p = "spec.autoscaling";
  AutoscalingSpec out;
  out.min_replicas = static_cast<int32_t>(r.Int(*a, p, "minReplicas", 0, kMaxReplicas).value_or(1));
  out.max_replicas =
      static_cast<int32_t>(r.Int(*a, p, "maxReplicas", 1, kMaxReplicas, true).value_or(1));
  out.target_queue_depth_per_agent =
      r.Int(*a, p, "targetQueueDepthPerAgent", 1, kMaxDepth).value_or(100);
  out.activation_queue_depth = r.Int(*a, p, "activationQueueDepth", 0, kMaxDepth).value_or(0);
  out.poll_interval = Seconds{r.Int(*a, p, "pollIntervalSeconds", 1, 3600).value_or(5)};
  if (const Json* b = r.Object(*a, p, "behavior")) {
    std::string bp = Join(p, "behavior");
    out.behavior.scale_up = ParseRules(r, *b, bp, "scaleUp", DefaultScaleUpRules());
    out.behavior.scale_down = ParseRules(r, *b, bp, "scaleDown", DefaultScaleDownRules());
  }
  if (const Json* f = r.Object(*a, p, "fallback")) {
    std::string fp = Join(p, "fallback");
    Fallback fb;
    fb.failure_threshold =
        static_cast<int32_t>(r.Int(*f, fp, "failureThreshold", 1, 1000).value_or(3));
    fb.replicas =
        static_cast<int32_t>(r.Int(*f, fp, "replicas", 0, kMaxReplicas, true).value_or(0));
    if (!r.failed() && fb.replicas > out.max_replicas) {
      r.Fail(Join(fp, "replicas"), "must be less than or equal to maxReplicas");
    }
    out.fallback = fb;
  }
  if (!r.failed() && out.min_replicas > out.max_replicas) {
    r.Fail(Join(p, "minReplicas"), "must be less than or equal to maxReplicas");
  }
  return out;
}

// Labels and annotations the operator writes on its pods: the template may not
// preset them, or the selector and the assignment would be wrong.
bool IsOperatorOwned(const std::string& key) {
  return key == kFleetLabel || key == protocol::kShardsAnnotation ||
         key == protocol::kAssignmentGenerationAnnotation || key == kRetiringAnnotation;
}

Json ParseTemplate(JsonReader& r, const Json& spec) {
  const Json* t = r.Object(spec, "spec", "template", true);
  if (t == nullptr) return Json::object();
  const std::string p = "spec.template";
  if (const Json* m = r.Object(*t, p, "metadata")) {
    std::string mp = Join(p, "metadata");
    for (std::string_view key : {"labels", "annotations"}) {
      const Json* map = r.Object(*m, mp, key);
      if (map == nullptr) continue;
      for (auto it = map->begin(); it != map->end(); ++it) {
        if (!it->is_string()) r.Fail(Join(Join(mp, key), it.key()), "must be a string");
        if (IsOperatorOwned(it.key())) {
          r.Fail(Join(Join(mp, key), it.key()), "is set by the operator, not the template");
        }
      }
    }
  }
  const Json* ps = r.Object(*t, p, "spec", true);
  if (ps == nullptr) return Json::object();
  const std::string sp = Join(p, "spec");
  const Json* containers = r.Array(*ps, sp, "containers", 20, true);
  if (containers != nullptr) {
    std::string cp = Join(sp, "containers");
    if (containers->empty()) r.Fail(cp, "must have at least 1 item");
    for (size_t i = 0; i < containers->size() && !r.failed(); ++i) {
      const Json& c = (*containers)[i];
      std::string ip = detail::Index(cp, i);
      if (!c.is_object()) {
        r.Fail(ip, "must be an object");
        break;
      }
      (void)r.String(c, ip, "name", 63, true);
      (void)r.String(c, ip, "image", 1024, true);
    }
  }
  return *t;
}

}  // namespace

Result<FleetSpec> ParseFleetSpec(const Json& spec) {
  JsonReader r;
  if (!spec.is_object()) return MakeError(ErrorCode::kInvalidArgument, "spec: must be an object");
  FleetSpec out;
  out.shards = static_cast<int32_t>(r.Int(spec, "spec", "shards", 1, kMaxReplicas).value_or(256));
  if (auto n = r.Int(spec, "spec", "replicas", 0, kMaxReplicas)) {
    out.replicas = static_cast<int32_t>(*n);
  }
  out.autoscaling = ParseAutoscaling(r, spec);
  out.queue = ParseQueue(r, spec);
  out.leases = ParseLeases(r, spec);
  out.pod_template = ParseTemplate(r, spec);
  if (const Json* ret = r.Object(spec, "spec", "retirement")) {
    out.retirement.drain_timeout =
        Seconds{r.Int(*ret, "spec.retirement", "drainTimeoutSeconds", 0, 86400).value_or(300)};
  }
  if (!r.failed() && out.replicas && out.autoscaling) {
    r.Fail("spec.replicas", "must not be set together with spec.autoscaling");
  }
  if (!r.failed() && out.replicas && *out.replicas > out.shards) {
    r.Fail("spec.replicas", "must not exceed spec.shards");
  }
  if (!r.failed() && out.autoscaling && out.autoscaling->max_replicas > out.shards) {
    r.Fail("spec.autoscaling.maxReplicas", "must not exceed spec.shards");
  }
  if (r.failed()) return r.error();
  return out;
}

}  // namespace agentfleet::fleet::api
