#pragma once

// Where the SQS source gets the AWS credentials it signs with: the keys of a
// fleet's Secret, or, only where the installation lends it to fleets
// (--allow-operator-cloud-identity), the operator's own identity found as the
// AWS SDKs' default chain finds it, in their order:
//
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   2. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (IRSA and any
//      OIDC federation), exchanged with STS AssumeRoleWithWebIdentity
//      (AWS_ROLE_SESSION_NAME optional; STS at AWS_ENDPOINT_URL_STS, else the
//      region's endpoint);
//   3. container credentials (ECS task roles, EKS Pod Identity):
//      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (under http://169.254.170.2), else
//      AWS_CONTAINER_CREDENTIALS_FULL_URI, with the token of
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else AWS_CONTAINER_AUTHORIZATION_TOKEN.
//
// Shared config files and the EC2 instance metadata service are not read.
// Temporary credentials are cached and fetched again five minutes before they
// expire; the token files are read at every fetch (the kubelet rotates them).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "controller/base/clock.h"
#include "controller/base/result.h"
#include "controller/sources/queue/aws_identity_protocol.h"
#include "controller/sources/queue/source_config.h"

namespace agentfleet::sources::queue {

class AwsCredentialsProvider {
 public:
  virtual ~AwsCredentialsProvider() = default;
  // Credentials to sign with now, or why there are none. Thread-safe. Errors
  // name the source, never a key or a token.
  virtual Result<AwsCredentials> Get() = 0;
  // Where the credentials come from, for logs: "environment variables (...)",
  // "web identity (role ARN, STS https://...)" or "container credentials (http://...)".
  virtual std::string Describe() const = 0;
};

// Fixed credentials (a Secret's keys, the environment's), or a fixed error.
std::shared_ptr<AwsCredentialsProvider> StaticAwsCredentials(AwsCredentials credentials,
                                                             std::string description);
std::shared_ptr<AwsCredentialsProvider> FailingAwsCredentials(Error error, std::string description);

// Temporary credentials from `fetch`, kept until `refresh_before` ahead of
// their expiry (credentials that do not say when they expire are fetched again
// after `refresh_before`). A failed fetch keeps serving the cached credentials
// while they are still valid, and is not retried for `retry_after`, so that a
// dead endpoint costs one request per `retry_after`, not one per signature.
class RefreshingAwsCredentials final : public AwsCredentialsProvider {
 public:
  using Fetch = std::function<Result<aws::TemporaryCredentials>()>;
  RefreshingAwsCredentials(std::string description, Fetch fetch, const Clock& clock,
                           std::chrono::seconds refresh_before = std::chrono::minutes(5),
                           std::chrono::seconds retry_after = std::chrono::seconds(10));
  Result<AwsCredentials> Get() override;
  std::string Describe() const override { return description_; }
  // How many times `fetch` ran (for tests and logs).
  int fetches() const;

 private:
  const std::string description_;
  const Fetch fetch_;
  const Clock& clock_;
  const std::chrono::seconds refresh_before_;
  const std::chrono::seconds retry_after_;
  mutable std::mutex mu_;
  std::optional<aws::TemporaryCredentials> cached_;
  Clock::Wall refresh_at_{};
  std::optional<Error> last_error_;
  Clock::Wall retry_at_{};
  int fetches_ = 0;
};

struct OperatorAwsOptions {
  // The base of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (the ECS agent's
  // address); tests point it at a local responder.
  std::string container_relative_base = "http://169.254.170.2";
  std::chrono::milliseconds timeout{5000};  // each STS or endpoint request
};

// The operator's own identity, from its environment (names as above); a
// provider that fails with a message naming the variables when there is none
// (kNotFound) or it is half configured (kInvalidArgument).
std::shared_ptr<AwsCredentialsProvider> OperatorAwsCredentials(
    const std::map<std::string, std::string>& env, const Clock& clock = RealClock::Instance(),
    OperatorAwsOptions options = {});

// AWS_REGION, else AWS_DEFAULT_REGION, else "".
std::string AwsRegionFromEnvironment(const std::map<std::string, std::string>& env);

}  // namespace agentfleet::sources::queue
