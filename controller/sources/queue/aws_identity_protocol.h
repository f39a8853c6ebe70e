#pragma once

// The pure half of the workload-identity providers (aws_credentials.h):
// requests built and answers read without I/O. Two documented protocols:
//
//   STS AssumeRoleWithWebIdentity (IRSA, any OIDC web identity): a form-encoded
//   POST of the Query API, unsigned (the token is the proof), answered in XML;
//   the container credentials endpoint (ECS task roles, EKS Pod Identity): a
//   GET with an optional Authorization header, answered in JSON.
//
// Messages name the role or the endpoint, never a token or a key.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/source_config.h"

namespace agentfleet::sources::queue::aws {

struct TemporaryCredentials {
  AwsCredentials credentials;
  // When they stop working; absent when the answer does not say.
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// 2019-11-09T13:34:41Z, with an optional fraction of a second and a Z or
// +hh:mm / -hh:mm offset, as STS and the container endpoints write it.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

// The text of the first element `name` in `xml` (<name>text</name>, or empty
// for <name/>), its character and entity references decoded; nullopt when
// there is no such element or it is not closed.
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view name);

inline constexpr std::string_view kStsVersion = "2011-06-15";

// POST <sts>/ Action=AssumeRoleWithWebIdentity, form-encoded.
HttpRequest AssumeRoleWithWebIdentityRequest(const Url& sts, std::string_view role_arn,
                                             std::string_view session_name,
                                             std::string_view web_identity_token);

// The credentials of a 200 answer (AssumeRoleWithWebIdentityResult/Credentials);
// otherwise the error STS gave (ErrorResponse/Error/Code and Message), typed:
// a refused token is kUnauthorized, AccessDenied kForbidden, throttling
// kTooManyRequests. `what` names the call in messages.
Result<TemporaryCredentials> CredentialsFromStsResponse(const HttpResponse& response,
                                                        std::string_view what);

// The credentials of a 200 answer {AccessKeyId, SecretAccessKey, Token,
// Expiration}; otherwise the error the endpoint gave ({code, message} when it
// sends JSON), typed by its HTTP status.
Result<TemporaryCredentials> CredentialsFromContainerResponse(const HttpResponse& response,
                                                              std::string_view what);

// Whether the container credentials endpoint may be reached at `url`: any
// https URL, and http only to a loopback address or the link-local addresses
// of the ECS (169.254.170.2) and EKS Pod Identity (169.254.170.23, fd00:ec2::23)
// agents, as the AWS SDKs allow (a token must not travel in clear elsewhere).
bool ContainerEndpointAllowed(const Url& url);

}  // namespace agentfleet::sources::queue::aws
