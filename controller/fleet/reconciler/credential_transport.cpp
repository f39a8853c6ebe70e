#include "controller/fleet/reconciler/credential_transport.h"

#include <variant>

#include "controller/fleet/api/conditions.h"
#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::fleet::reconciler {
namespace {

bool PlainRedis(const std::string& url) {
  return url.starts_with("redis://");
}
bool PlainHttp(const std::string& url) {
  return url.starts_with("http://");
}

void Redis(const std::string& url, const std::optional<api::SecretKeyRef>& password,
           const std::string& field, std::vector<ClearTextCredential>& out) {
  if (password && PlainRedis(url)) {
    out.push_back({field + ".passwordSecretRef", "Redis AUTH over redis://; use rediss://"});
  }
}

}  // namespace

Result<CredentialTransport> ParseCredentialTransport(std::string_view name) {
  if (name == "tls-only") return CredentialTransport::kTlsOnly;
  if (name == "warn") return CredentialTransport::kWarn;
  if (name == "allow") return CredentialTransport::kAllow;
  return MakeError(ErrorCode::kInvalidArgument, "must be tls-only, warn or allow");
}

std::string_view CredentialTransportName(CredentialTransport policy) {
  switch (policy) {
    case CredentialTransport::kTlsOnly:
      return "tls-only";
    case CredentialTransport::kWarn:
      return "warn";
    case CredentialTransport::kAllow:
      return "allow";
  }
  return "warn";
}

std::vector<ClearTextCredential> ClearTextCredentials(const api::FleetSpec& spec, bool sqs_signed) {
  std::vector<ClearTextCredential> out;
  if (const auto* q = std::get_if<api::RedisStreamsQueue>(&spec.queue)) {
    Redis(q->url, q->password_secret_ref, "spec.queue.redisStreams", out);
  } else if (const auto* q = std::get_if<api::RedisListQueue>(&spec.queue)) {
    Redis(q->url, q->password_secret_ref, "spec.queue.redisList", out);
  } else if (const auto* q = std::get_if<api::SqsQueue>(&spec.queue)) {
    // Where requests go: the endpoint, else the queue URL's origin, else AWS (https).
    const bool http = q->endpoint.empty() ? PlainHttp(q->queue_url) : PlainHttp(q->endpoint);
    if (http && (q->credentials_secret_ref || sqs_signed)) {
      out.push_back({q->endpoint.empty() ? "spec.queue.sqs.queueURL" : "spec.queue.sqs.endpoint",
                     std::string("SigV4-signed requests over http:// (the access key id") +
                         (q->credentials_secret_ref ? "" : " of the operator's identity") +
                         " and any session token in clear, the requests replayable); use "
                         "https://"});
    }
  } else if (const auto* q = std::get_if<api::RabbitMqQueue>(&spec.queue)) {
    if (q->credentials_secret_ref && PlainHttp(q->management_url)) {
      out.push_back({"spec.queue.rabbitmq.credentialsSecretRef",
                     "HTTP Basic auth over http://; use https://"});
    }
  }
  if (const auto* r = std::get_if<api::RedisLeaseStore>(&spec.leases.store)) {
    Redis(r->url, r->password_secret_ref, "spec.leases.redis", out);
  } else if (const auto* p = std::get_if<api::PostgresLeaseStore>(&spec.leases.store)) {
    // An sslmode that does not resolve is the lease store's error to report.
    auto mode = sources::lease::ResolvePgSslMode(p->url, p->ssl_mode);
    if (p->password_secret_ref && mode.ok() && *mode == "disable") {
      out.push_back({"spec.leases.postgres.passwordSecretRef",
                     "a PostgreSQL password with sslMode disable: whoever answers may ask for "
                     "it in plain text; use require, verify-ca or verify-full"});
    }
  }
  return out;
}

std::string ClearTextMessage(const std::vector<ClearTextCredential>& found) {
  std::string out = "credentials travel without TLS: ";
  for (size_t i = 0; i < found.size(); ++i) {
    out += (i ? "; " : "") + found[i].field + " (" + found[i].how + ")";
  }
  return out;
}

std::optional<std::string> SetTransportCondition(api::FleetStatus& status, int64_t generation,
                                                 const std::vector<ClearTextCredential>& found,
                                                 CredentialTransport policy, Clock::Wall now) {
  if (found.empty() || policy == CredentialTransport::kAllow) {
    api::RemoveCondition(status.conditions, kInsecureCredentialTransport);
    return std::nullopt;
  }
  api::Condition c;
  c.type = std::string(kInsecureCredentialTransport);
  c.status = api::ConditionStatus::kTrue;
  c.observed_generation = generation;
  const bool refused = policy == CredentialTransport::kTlsOnly;
  c.reason = refused ? "Refused" : "ClearText";
  c.message = ClearTextMessage(found) +
              (refused ? "; refused: the installation allows credentials over TLS only "
                         "(--credential-transport=tls-only)"
                       : "; allowed with this warning (--credential-transport=warn)");
  const api::Condition* before = api::FindCondition(status.conditions, c.type);
  const bool news = !before || before->status != c.status || before->message != c.message;
  std::string message = c.message;
  api::SetCondition(status.conditions, std::move(c), now);
  if (!news) return std::nullopt;
  return message;
}

}  // namespace agentfleet::fleet::reconciler
