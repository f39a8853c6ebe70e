#pragma once

// Credentials written into a URL field of a fleet: the operator refuses them
// as the CRD's rules do, for fleets stored before those rules existed (or by a
// client that bypassed validation). A URL is stored in the fleet and, for the
// queue and the lease store, copied into every agent pod's environment, so a
// password in it would be readable by anyone who can read either.

#include <optional>
#include <string>
#include <string_view>

namespace agentfleet::fleet::api::detail {

enum class UrlKind {
  kRedis,     // redis://[user@]host[:port][/db]: a user name is an ACL user, no secret
  kPostgres,  // postgres(ql)://[user@]host...[?params]: likewise a role name
  kHttp,      // http(s):// (SQS, RabbitMQ's management API): no user information at all
};

// Why `url` carries, or may carry, a credential: "must not carry a password:
// use passwordSecretRef", ...; nothing when it carries none. The message never
// quotes the URL.
std::optional<std::string> CredentialInUrl(std::string_view url, UrlKind kind);

}  // namespace agentfleet::fleet::api::detail
