#include "controller/fleet/api/parse_backends.h"

#include "controller/fleet/api/json_reader.h"
#include "controller/fleet/api/url_checks.h"

namespace agentfleet::fleet::api::detail {
namespace {

using Json = nlohmann::json;

bool StartsWith(const std::string& s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (s.starts_with(p)) return true;
  }
  return false;
}

// A URL of one of `schemes` that carries no credential: credentials belong in
// a Secret. Never quoted in an error, since it may hold a password.
std::string Url(JsonReader& r, const Json& parent, const std::string& path, std::string_view key,
                std::initializer_list<std::string_view> schemes, UrlKind kind,
                bool required = true) {
  auto url = r.String(parent, path, key, kMaxUrl, required).value_or("");
  if (r.failed() || url.empty()) return url;
  if (!StartsWith(url, schemes)) {
    std::string want;
    for (auto s : schemes) want += (want.empty() ? "" : " or ") + std::string(s);
    r.Fail(Join(path, key), "must start with " + want);
  } else if (auto why = CredentialInUrl(url, kind)) {
    r.Fail(Join(path, key), *why);
  }
  return url;
}

std::string RedisUrl(JsonReader& r, const Json& parent, const std::string& path) {
  return Url(r, parent, path, "url", {"redis://", "rediss://"}, UrlKind::kRedis);
}

std::string HttpUrl(JsonReader& r, const Json& parent, const std::string& path,
                    std::string_view key, bool required = false) {
  return Url(r, parent, path, key, {"http://", "https://"}, UrlKind::kHttp, required);
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
  q.url = RedisUrl(r, o, p);
  q.key_prefix = r.String(o, p, "keyPrefix", kMaxKeyPrefix, true).value_or("");
  q.consumer_group = r.String(o, p, "consumerGroup", kMaxKeyPrefix, true).value_or("");
  q.password_secret_ref = SecretRef(r, o, p, "passwordSecretRef");
  q.tls = Tls(r, o, p);
  return q;
}

RedisListQueue ParseRedisList(JsonReader& r, const Json& o, const std::string& p) {
  RedisListQueue q;
  q.url = RedisUrl(r, o, p);
  q.key = r.String(o, p, "key", 512, true).value_or("");
  q.password_secret_ref = SecretRef(r, o, p, "passwordSecretRef");
  q.tls = Tls(r, o, p);
  return q;
}

SqsQueue ParseSqs(JsonReader& r, const Json& o, const std::string& p) {
  SqsQueue q;
  q.queue_url = HttpUrl(r, o, p, "queueURL");
  q.queue_name = r.String(o, p, "queueName", 80).value_or("");
  q.region = r.String(o, p, "region", 32).value_or("");
  q.endpoint = HttpUrl(r, o, p, "endpoint");
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
  q.management_url = HttpUrl(r, o, p, "managementURL", /*required=*/true);
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

}  // namespace

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
    s.url = RedisUrl(r, *o, rp);
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
    s.url = Url(r, *o, pp, "url", {"postgres://", "postgresql://"}, UrlKind::kPostgres);
    s.password_secret_ref = SecretRef(r, *o, pp, "passwordSecretRef");
    s.ssl_mode = r.String(*o, pp, "sslMode", 16).value_or("");
    if (!r.failed() && !s.ssl_mode.empty() && s.ssl_mode != "disable" && s.ssl_mode != "require" &&
        s.ssl_mode != "verify-ca" && s.ssl_mode != "verify-full") {
      r.Fail(Join(pp, "sslMode"), "must be one of disable, require, verify-ca, verify-full");
    }
    out.store = std::move(s);
  }
  if (set != 1) r.Fail(p, "must set exactly one of redis, postgres");
  return out;
}

}  // namespace agentfleet::fleet::api::detail
