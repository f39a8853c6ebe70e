#pragma once

// Credentials a fleet sends without TLS, and what the installation's policy
// (--credential-transport) makes of them:
//
//   tls-only  the fleet is refused: no connection is made, nothing is deleted;
//   warn      it works, with the condition InsecureCredentialTransport=True
//             and a Warning Event (the default);
//   allow     nothing is said.
//
// What counts as clear text (each names its spec field):
//   - a Redis password (AUTH) to a redis:// URL (queue or lease store);
//   - RabbitMQ Basic auth to an http:// management URL;
//   - PostgreSQL with a password and sslMode disable: the server (or whoever
//     answers at that address) may ask for the password in plain text;
//   - SQS requests signed for an http:// endpoint, with a Secret's keys or the
//     operator's identity. The secret key itself never travels (SigV4 sends
//     an HMAC), but the access key id and any session token do, verbatim, and
//     a captured request can be replayed while its signature is valid: an
//     installation that wants credentials on TLS only wants this refused too.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/clock.h"
#include "controller/base/result.h"
#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::reconciler {

enum class CredentialTransport { kTlsOnly, kWarn, kAllow };

// "tls-only", "warn" or "allow".
Result<CredentialTransport> ParseCredentialTransport(std::string_view name);
std::string_view CredentialTransportName(CredentialTransport policy);

struct ClearTextCredential {
  std::string
      field;        // the spec field that sends it, e.g. spec.queue.redisStreams.passwordSecretRef
  std::string how;  // what travels in clear, e.g. "Redis AUTH over redis://"
};

// Every credential the fleet's spec sends without TLS, in spec order.
// `sqs_signed`: an SQS queue without credentialsSecretRef is signed (the
// installation lends the operator's identity); otherwise it sends nothing.
std::vector<ClearTextCredential> ClearTextCredentials(const api::FleetSpec& spec, bool sqs_signed);

inline constexpr std::string_view kInsecureCredentialTransport = "InsecureCredentialTransport";

// "credentials travel without TLS: <field> (<how>); ...".
std::string ClearTextMessage(const std::vector<ClearTextCredential>& found);

// Sets the InsecureCredentialTransport condition of `status` for the policy
// (True under warn and tls-only when something travels in clear; removed
// otherwise). Returns the Warning Event to record when the condition is new or
// its message changed, else nullopt: one Event per change, not one per pass.
std::optional<std::string> SetTransportCondition(api::FleetStatus& status, int64_t generation,
                                                 const std::vector<ClearTextCredential>& found,
                                                 CredentialTransport policy, Clock::Wall now);

}  // namespace agentfleet::fleet::reconciler
