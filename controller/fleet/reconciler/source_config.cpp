#include "controller/fleet/reconciler/source_config.h"

#include <variant>

namespace agentfleet::fleet::reconciler {
namespace {

Result<std::string> Lookup(const SecretLookup& secrets, const api::SecretKeyRef& ref,
                           const std::string& field) {
  auto v = secrets(ref.name, ref.key);
  if (!v) return MakeError(v.error().code, field + ": " + v.error().message);
  return v;
}

// A CA certificate from a Secret would have to reach the TLS stack as a file;
// until that exists, say so instead of silently trusting the system store.
Status CheckTls(const api::TlsSpec& tls, const std::string& field) {
  if (tls.ca_secret_ref) {
    return MakeError(ErrorCode::kInvalidArgument,
                     field + ".tls.caSecretRef is not supported by this operator version");
  }
  return Ok{};
}

Result<redis::Options> RedisServer(const std::string& url,
                                   const std::optional<api::SecretKeyRef>& password,
                                   const api::TlsSpec& tls, const SecretLookup& secrets,
                                   const std::string& field) {
  if (auto s = CheckTls(tls, field); !s) return s.error();
  auto options = redis::ParseUrl(url);
  if (!options) return MakeError(options.error().code, field + ".url: " + options.error().message);
  if (password) {
    auto p = Lookup(secrets, *password, field + ".passwordSecretRef");
    if (!p) return p.error();
    options->password = std::move(*p);
  }
  if (!tls.server_name.empty()) options->tls_server_name = tls.server_name;
  return options;
}

}  // namespace

Result<queue::QueueSourceConfig> QueueConfigFor(const api::FleetSpec& spec,
                                                const SecretLookup& secrets) {
  if (const auto* q = std::get_if<api::RedisStreamsQueue>(&spec.queue)) {
    auto server =
        RedisServer(q->url, q->password_secret_ref, q->tls, secrets, "spec.queue.redisStreams");
    if (!server) return server.error();
    return queue::QueueSourceConfig(queue::RedisShardedStreamsConfig{
        std::move(*server), q->key_prefix, spec.shards, q->consumer_group});
  }
  if (const auto* q = std::get_if<api::RedisListQueue>(&spec.queue)) {
    auto server =
        RedisServer(q->url, q->password_secret_ref, q->tls, secrets, "spec.queue.redisList");
    if (!server) return server.error();
    return queue::QueueSourceConfig(queue::RedisListConfig{std::move(*server), q->key});
  }
  if (const auto* q = std::get_if<api::SqsQueue>(&spec.queue)) {
    queue::SqsConfig c;
    c.queue_url = q->queue_url;
    c.queue_name = q->queue_name;
    c.region = q->region;
    c.endpoint = q->endpoint;
    c.scale_on_in_flight = q->scale_on_in_flight;
    c.scale_on_delayed = q->scale_on_delayed;
    if (const auto& ref = q->credentials_secret_ref) {
      const std::string field = "spec.queue.sqs.credentialsSecretRef";
      auto id = Lookup(secrets, {ref->name, ref->access_key_id_key}, field);
      if (!id) return id.error();
      auto key = Lookup(secrets, {ref->name, ref->secret_access_key_key}, field);
      if (!key) return key.error();
      c.credentials.access_key_id = std::move(*id);
      c.credentials.secret_access_key = std::move(*key);
      if (!ref->session_token_key.empty()) {
        auto token = Lookup(secrets, {ref->name, ref->session_token_key}, field);
        if (!token) return token.error();
        c.credentials.session_token = std::move(*token);
      }
    } else {
      auto env = queue::AwsEnvironmentFromEnv();
      if (!env) {
        return MakeError(env.error().code,
                         "spec.queue.sqs: no credentialsSecretRef and the operator has no AWS "
                         "credentials: " +
                             env.error().message);
      }
      c.credentials = env->credentials;
      if (c.region.empty()) c.region = env->region;
    }
    return queue::QueueSourceConfig(std::move(c));
  }
  const auto& q = std::get<api::RabbitMqQueue>(spec.queue);
  queue::RabbitMqConfig c;
  c.endpoint = q.management_url;
  c.vhost = q.vhost;
  c.queue = q.queue;
  c.include_unacked = q.include_unacked;
  if (const auto& ref = q.credentials_secret_ref) {
    const std::string field = "spec.queue.rabbitmq.credentialsSecretRef";
    auto user = Lookup(secrets, {ref->name, ref->username_key}, field);
    if (!user) return user.error();
    auto pass = Lookup(secrets, {ref->name, ref->password_key}, field);
    if (!pass) return pass.error();
    c.credentials = {std::move(*user), std::move(*pass)};
  }
  return queue::QueueSourceConfig(std::move(c));
}

Result<lease::StoreConfig> LeaseStoreConfigFor(const api::FleetSpec& spec,
                                               const SecretLookup& secrets) {
  std::string url, password, field;
  std::optional<api::SecretKeyRef> ref;
  std::string prefix;
  if (const auto* r = std::get_if<api::RedisLeaseStore>(&spec.leases.store)) {
    field = "spec.leases.redis";
    if (auto s = CheckTls(r->tls, field); !s) return s.error();
    url = r->url;
    ref = r->password_secret_ref;
    prefix = r->key_prefix;
  } else {
    const auto& p = std::get<api::PostgresLeaseStore>(spec.leases.store);
    field = "spec.leases.postgres";
    url = p.url;
    ref = p.password_secret_ref;
  }
  if (ref) {
    auto p = Lookup(secrets, *ref, field + ".passwordSecretRef");
    if (!p) return p.error();
    password = std::move(*p);
  }
  auto config = lease::ParseStoreUrl(url, std::move(password));
  if (!config) return MakeError(config.error().code, field + ".url: " + config.error().message);
  if (!prefix.empty()) config->key_prefix = prefix;
  if (const auto* r = std::get_if<api::RedisLeaseStore>(&spec.leases.store)) {
    if (!r->tls.server_name.empty()) config->redis.tls_server_name = r->tls.server_name;
  }
  return config;
}

}  // namespace agentfleet::fleet::reconciler
