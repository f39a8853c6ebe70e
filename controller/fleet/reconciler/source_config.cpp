#include "controller/fleet/reconciler/source_config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <variant>

#include "controller/base/base64.h"

namespace agentfleet::fleet::reconciler {
namespace {

Result<std::string> Lookup(const SecretLookup& secrets, const api::SecretKeyRef& ref,
                           const std::string& field) {
  auto v = secrets(ref.name, ref.key);
  if (!v) return MakeError(v.error().code, field + ": " + v.error().message);
  return v;
}

// The CA file for tls.caSecretRef; empty when the system store is meant.
// Without a writer, say so rather than silently trusting the system store.
Result<std::string> CaFile(const api::TlsSpec& tls, const SecretLookup& secrets,
                           const CaFileWriter& ca_files, const std::string& field) {
  if (!tls.ca_secret_ref) return std::string();
  if (!ca_files) {
    return MakeError(ErrorCode::kInvalidArgument, field + ".tls.caSecretRef is not supported here");
  }
  auto pem = Lookup(secrets, *tls.ca_secret_ref, field + ".tls.caSecretRef");
  if (!pem) return pem.error();
  auto path = ca_files(*pem);
  if (!path)
    return MakeError(path.error().code, field + ".tls.caSecretRef: " + path.error().message);
  return path;
}

Result<sources::redis::Options> RedisServer(const std::string& url,
                                            const std::optional<api::SecretKeyRef>& password,
                                            const api::TlsSpec& tls, const SecretLookup& secrets,
                                            const CaFileWriter& ca_files,
                                            const std::string& field) {
  auto ca = CaFile(tls, secrets, ca_files, field);
  if (!ca) return ca.error();
  auto options = sources::redis::ParseUrl(url);
  if (!options) return MakeError(options.error().code, field + ".url: " + options.error().message);
  if (password) {
    auto p = Lookup(secrets, *password, field + ".passwordSecretRef");
    if (!p) return p.error();
    options->password = std::move(*p);
  }
  if (!tls.server_name.empty()) options->tls_server_name = tls.server_name;
  if (!ca->empty()) options->tls_ca_file = *ca;
  return options;
}

}  // namespace

namespace {

Result<sources::queue::QueueSourceConfig> SqsConfigFor(const api::SqsQueue& q,
                                                       const SecretLookup& secrets,
                                                       const OperatorIdentity& identity) {
  sources::queue::SqsConfig c;
  c.queue_url = q.queue_url;
  c.queue_name = q.queue_name;
  c.region = q.region;
  c.endpoint = q.endpoint;
  c.scale_on_in_flight = q.scale_on_in_flight;
  c.scale_on_delayed = q.scale_on_delayed;
  if (const auto& ref = q.credentials_secret_ref) {
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
    return sources::queue::QueueSourceConfig(std::move(c));
  }
  if (!identity.aws) {
    // No request is made: the operator's identity must not sign for a URL the
    // fleet's author chose unless the installation says so.
    return Error(ErrorCode::kFailedPrecondition,
                 "spec.queue.sqs has no credentialsSecretRef and the installation does not lend "
                 "the operator's identity to fleets (--allow-operator-cloud-identity)",
                 0, std::string(kCredentialsRequired));
  }
  c.credentials_provider = identity.aws;
  if (c.region.empty()) c.region = identity.aws_region;
  return sources::queue::QueueSourceConfig(std::move(c));
}

Result<sources::queue::QueueSourceConfig> RabbitMqConfigFor(const api::RabbitMqQueue& q,
                                                            const SecretLookup& secrets) {
  sources::queue::RabbitMqConfig c;
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
  return sources::queue::QueueSourceConfig(std::move(c));
}

}  // namespace

Result<sources::queue::QueueSourceConfig> QueueConfigFor(const api::FleetSpec& spec,
                                                         const SecretLookup& secrets,
                                                         const CaFileWriter& ca_files,
                                                         const OperatorIdentity& identity) {
  if (const auto* q = std::get_if<api::RedisStreamsQueue>(&spec.queue)) {
    auto server = RedisServer(q->url, q->password_secret_ref, q->tls, secrets, ca_files,
                              "spec.queue.redisStreams");
    if (!server) return server.error();
    return sources::queue::QueueSourceConfig(sources::queue::RedisShardedStreamsConfig{
        std::move(*server), q->key_prefix, spec.shards, q->consumer_group});
  }
  if (const auto* q = std::get_if<api::RedisListQueue>(&spec.queue)) {
    auto server = RedisServer(q->url, q->password_secret_ref, q->tls, secrets, ca_files,
                              "spec.queue.redisList");
    if (!server) return server.error();
    return sources::queue::QueueSourceConfig(
        sources::queue::RedisListConfig{std::move(*server), q->key});
  }
  if (const auto* q = std::get_if<api::SqsQueue>(&spec.queue)) {
    return SqsConfigFor(*q, secrets, identity);
  }
  return RabbitMqConfigFor(std::get<api::RabbitMqQueue>(spec.queue), secrets);
}

Result<sources::lease::StoreConfig> LeaseStoreConfigFor(const api::FleetSpec& spec,
                                                        const SecretLookup& secrets,
                                                        const CaFileWriter& ca_files) {
  std::string url, password, field;
  std::optional<api::SecretKeyRef> ref;
  std::string prefix, ca_file, sslmode;
  if (const auto* r = std::get_if<api::RedisLeaseStore>(&spec.leases.store)) {
    field = "spec.leases.redis";
    auto ca = CaFile(r->tls, secrets, ca_files, field);
    if (!ca) return ca.error();
    ca_file = std::move(*ca);
    url = r->url;
    ref = r->password_secret_ref;
    prefix = r->key_prefix;
  } else {
    const auto& p = std::get<api::PostgresLeaseStore>(spec.leases.store);
    field = "spec.leases.postgres";
    url = p.url;
    ref = p.password_secret_ref;
    sslmode = p.ssl_mode;
  }
  if (ref) {
    auto p = Lookup(secrets, *ref, field + ".passwordSecretRef");
    if (!p) return p.error();
    password = std::move(*p);
  }
  auto config =
      sources::lease::ParseStoreUrl(url, std::move(password), std::chrono::seconds(3), sslmode);
  if (!config) return MakeError(config.error().code, field + ".url: " + config.error().message);
  if (!prefix.empty()) config->key_prefix = prefix;
  if (const auto* r = std::get_if<api::RedisLeaseStore>(&spec.leases.store)) {
    if (!r->tls.server_name.empty()) config->redis.tls_server_name = r->tls.server_name;
    if (!ca_file.empty()) config->redis.tls_ca_file = ca_file;
  }
  return config;
}

Result<std::string> ApiSecrets::Get(const std::string& name, const std::string& key) {
  auto it = secrets_.find(name);
  if (it == secrets_.end()) it = secrets_.emplace(name, Read(name)).first;
  const std::string what = "Secret " + ns_ + "/" + name;
  const auto& got = it->second;
  if (!got) {
    if (got.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, what + " not found");
    }
    return MakeError(got.error().code, "reading " + what + ": " + got.error().message);
  }
  const nlohmann::json& data = got->contains("data") ? (*got)["data"] : nlohmann::json::object();
  if (!data.is_object() || !data.contains(key) || !data[key].is_string()) {
    return MakeError(ErrorCode::kNotFound, what + " has no key " + key);
  }
  auto value = Base64Decode(data[key].get<std::string>());
  if (!value) {
    return MakeError(ErrorCode::kInvalidArgument, what + " key " + key + " is not valid base64");
  }
  read_ += name + "\n" + key + "\n" + *value + "\n";
  return *value;
}

Result<nlohmann::json> ApiSecrets::Read(const std::string& name) {
  std::unique_lock<std::mutex> reading;
  if (cache_ && !reread_) {
    if (auto cached = cache_->Fresh(ns_, name, now_)) return std::move(*cached);
    reading = cache_->Reading(ns_, name);
    // Another worker's read may have finished while this one waited.
    if (auto cached = cache_->Fresh(ns_, name, now_)) return std::move(*cached);
  }
  auto got = client_.Get(kube::rest::resources::kSecrets, ns_, name);
  if (!cache_) return got;
  if (got) {
    cache_->Store(ns_, name, *got, now_);
  } else if (got.error().Retryable()) {
    // A passing API fault must not close connections that work: the value
    // last read stands until a read answers.
    if (auto kept = cache_->Kept(ns_, name)) return std::move(*kept);
  } else {
    cache_->Forget(ns_, name);  // deleted, or no longer readable
  }
  return got;
}

CaFileWriter DirectoryCaFiles(std::string dir) {
  return [dir = std::move(dir)](const std::string& pem) -> Result<std::string> {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return MakeError(ErrorCode::kInternal, "cannot create the CA directory " + dir);
    }
    char name[32];
    std::snprintf(name, sizeof name, "ca-%016zx.pem", std::hash<std::string>{}(pem));
    std::string path = dir + "/" + name;
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << pem;
      if (!out) return MakeError(ErrorCode::kInternal, "cannot write the CA file " + tmp);
    }
    // Atomic: a concurrent reader sees the old file or the whole new one.
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      return MakeError(ErrorCode::kInternal, "cannot write the CA file " + path);
    }
    return path;
  };
}

}  // namespace agentfleet::fleet::reconciler
