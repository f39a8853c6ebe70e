#include "controller/sources/queue/aws_credentials.h"

#include <fstream>
#include <sstream>

#include "controller/base/redact.h"
#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/url.h"

namespace agentfleet::sources::queue {
namespace {

using Env = std::map<std::string, std::string>;
constexpr size_t kMaxTokenFile = 64 << 10;

std::string Get(const Env& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

class StaticProvider final : public AwsCredentialsProvider {
 public:
  StaticProvider(Result<AwsCredentials> credentials, std::string description)
      : credentials_(std::move(credentials)), description_(std::move(description)) {}
  Result<AwsCredentials> Get() override { return credentials_; }
  std::string Describe() const override { return description_; }

 private:
  const Result<AwsCredentials> credentials_;
  const std::string description_;
};

// A token file's content without the trailing newline, read afresh: the
// kubelet rewrites projected tokens before they expire.
Result<std::string> ReadTokenFile(const std::string& path, std::string_view variable) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot read the token file " + path + " (" + std::string(variable) + ")");
  }
  std::string token(kMaxTokenFile + 1, '\0');
  in.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<size_t>(in.gcount()));
  if (token.size() > kMaxTokenFile) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "the token file " + path + " is larger than 64 KiB");
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    return MakeError(ErrorCode::kUnavailable, "the token file " + path + " is empty");
  }
  return token;
}

// The session name STS records (and CloudTrail shows): [\w+=,.@-]{2,64}.
std::string SessionName(const Env& env, const Clock& clock) {
  std::string name = Get(env, "AWS_ROLE_SESSION_NAME");
  if (!name.empty()) return name;
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock.WallNow().time_since_epoch()).count();
  return "agentfleet-controller-" + std::to_string(seconds);
}

std::string StsEndpoint(const Env& env) {
  std::string endpoint = Get(env, "AWS_ENDPOINT_URL_STS");
  if (!endpoint.empty()) return endpoint;
  const std::string region = AwsRegionFromEnvironment(env);
  return region.empty() ? "https://sts.amazonaws.com" : "https://sts." + region + ".amazonaws.com";
}

std::shared_ptr<AwsCredentialsProvider> WebIdentity(const Env& env, const Clock& clock,
                                                    const OperatorAwsOptions& options) {
  const std::string role = Get(env, "AWS_ROLE_ARN");
  const std::string token_file = Get(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  const std::string sts_text = StsEndpoint(env);
  auto sts = ParseUrl(sts_text);
  // As written: a URL that parses carries no user information to hide.
  const std::string description =
      "web identity (role " + role + ", STS " + (sts.ok() ? sts_text : "?") + ")";
  if (!sts.ok()) {
    return FailingAwsCredentials(
        MakeError(ErrorCode::kInvalidArgument,
                  "the STS endpoint (AWS_ENDPOINT_URL_STS): " + sts.error().message),
        description);
  }
  const std::string session = SessionName(env, clock);
  auto fetch = [role, token_file, session, sts = *sts,
                timeout = options.timeout]() -> Result<aws::TemporaryCredentials> {
    auto token = ReadTokenFile(token_file, "AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!token.ok()) return token.error();
    const std::string what =
        "STS AssumeRoleWithWebIdentity at " + sts.Origin() + " for role " + role;
    auto response = HttpFetch(aws::AssumeRoleWithWebIdentityRequest(sts, role, session, *token),
                              TlsConfig{}, timeout);
    // STS never echoes the token, but nothing it says is trusted to keep it out.
    const Redactor redact({*token});
    if (!response.ok()) return redact.Redact(Error(response.error()));
    auto credentials = aws::CredentialsFromStsResponse(*response, what);
    if (!credentials.ok()) return redact.Redact(credentials.error());
    return credentials;
  };
  return std::make_shared<RefreshingAwsCredentials>(description, std::move(fetch), clock);
}

std::shared_ptr<AwsCredentialsProvider> Container(const Env& env, const Clock& clock,
                                                  const OperatorAwsOptions& options) {
  const std::string relative = Get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const std::string full = Get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const std::string uri = !relative.empty() ? options.container_relative_base + relative : full;
  const std::string variable = !relative.empty() ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                                                 : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  auto url = ParseUrl(uri);
  const std::string description = "container credentials (" + (url.ok() ? uri : variable) + ")";
  if (!url.ok()) {
    return FailingAwsCredentials(
        MakeError(ErrorCode::kInvalidArgument, variable + ": " + url.error().message), description);
  }
  // A relative URI is the ECS agent's by definition; a full one must be TLS or local.
  if (relative.empty() && !aws::ContainerEndpointAllowed(*url)) {
    return FailingAwsCredentials(
        MakeError(ErrorCode::kInvalidArgument,
                  variable + " must be https, or http to a loopback address or the ECS or EKS "
                             "Pod Identity agent (169.254.170.2, 169.254.170.23, fd00:ec2::23)"),
        description);
  }
  const std::string token_file = Get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const std::string token_value = Get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  auto fetch = [url = *url, token_file, token_value, timeout = options.timeout,
                description]() -> Result<aws::TemporaryCredentials> {
    std::string token = token_value;
    if (!token_file.empty()) {
      auto read = ReadTokenFile(token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
      if (!read.ok()) return read.error();
      token = std::move(*read);
    }
    if (token.find_first_of("\r\n") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the container authorization token holds a line break");
    }
    HttpRequest req;
    req.url = url;
    req.headers = {{"Accept", "application/json"}};
    if (!token.empty()) req.headers.emplace_back("Authorization", token);
    auto response = HttpFetch(req, TlsConfig{}, timeout);
    const Redactor redact({token});
    if (!response.ok()) return redact.Redact(Error(response.error()));
    auto credentials = aws::CredentialsFromContainerResponse(*response, description);
    if (!credentials.ok()) return redact.Redact(credentials.error());
    return credentials;
  };
  return std::make_shared<RefreshingAwsCredentials>(description, std::move(fetch), clock);
}

}  // namespace

std::shared_ptr<AwsCredentialsProvider> StaticAwsCredentials(AwsCredentials credentials,
                                                             std::string description) {
  return std::make_shared<StaticProvider>(std::move(credentials), std::move(description));
}

std::shared_ptr<AwsCredentialsProvider> FailingAwsCredentials(Error error,
                                                              std::string description) {
  error.message = description + ": " + error.message;
  return std::make_shared<StaticProvider>(std::move(error), std::move(description));
}

RefreshingAwsCredentials::RefreshingAwsCredentials(std::string description, Fetch fetch,
                                                   const Clock& clock,
                                                   std::chrono::seconds refresh_before,
                                                   std::chrono::seconds retry_after)
    : description_(std::move(description)),
      fetch_(std::move(fetch)),
      clock_(clock),
      refresh_before_(refresh_before),
      retry_after_(retry_after) {}

int RefreshingAwsCredentials::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

Result<AwsCredentials> RefreshingAwsCredentials::Get() {
  // One fetch at a time: the workers that wait get its result.
  std::lock_guard lock(mu_);
  const Clock::Wall now = clock_.WallNow();
  const bool valid = cached_ && (!cached_->expiration || now < *cached_->expiration);
  if (cached_ && now < refresh_at_) return cached_->credentials;
  if (last_error_ && now < retry_at_) {
    if (valid) return cached_->credentials;
    return *last_error_;
  }
  ++fetches_;
  auto fetched = fetch_();
  if (!fetched.ok()) {
    last_error_ = MakeError(fetched.error().code, description_ + ": " + fetched.error().message);
    retry_at_ = now + retry_after_;
    // Still valid: keep signing with them until they expire.
    if (valid) return cached_->credentials;
    return *last_error_;
  }
  last_error_.reset();
  cached_ = std::move(*fetched);
  if (!cached_->expiration) {
    refresh_at_ = now + refresh_before_;
  } else if (*cached_->expiration - refresh_before_ > now) {
    refresh_at_ = *cached_->expiration - refresh_before_;
  } else {
    // Shorter-lived than the margin: halfway through what is left.
    refresh_at_ = now + (*cached_->expiration - now) / 2;
  }
  return cached_->credentials;
}

std::shared_ptr<AwsCredentialsProvider> OperatorAwsCredentials(const Env& env, const Clock& clock,
                                                               OperatorAwsOptions options) {
  const std::string id = Get(env, "AWS_ACCESS_KEY_ID");
  const std::string secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!id.empty() || !secret.empty()) {
    const std::string description = "environment variables (AWS_ACCESS_KEY_ID)";
    if (id.empty() || secret.empty()) {
      return FailingAwsCredentials(
          MakeError(ErrorCode::kInvalidArgument,
                    std::string(id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                        " is not set while " +
                        (id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") + " is"),
          description);
    }
    return StaticAwsCredentials({id, secret, Get(env, "AWS_SESSION_TOKEN")}, description);
  }
  const std::string role = Get(env, "AWS_ROLE_ARN");
  const std::string token_file = Get(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!role.empty() || !token_file.empty()) {
    if (role.empty() || token_file.empty()) {
      return FailingAwsCredentials(
          MakeError(ErrorCode::kInvalidArgument,
                    std::string(role.empty() ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") +
                        " is not set while " +
                        (role.empty() ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN") + " is"),
          "web identity");
    }
    return WebIdentity(env, clock, options);
  }
  if (!Get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
      !Get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI").empty()) {
    return Container(env, clock, options);
  }
  return FailingAwsCredentials(
      MakeError(ErrorCode::kNotFound,
                "none of AWS_ACCESS_KEY_ID, AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, "
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI "
                "is set"),
      "the operator's AWS identity");
}

std::string AwsRegionFromEnvironment(const Env& env) {
  std::string region = Get(env, "AWS_REGION");
  return region.empty() ? Get(env, "AWS_DEFAULT_REGION") : region;
}

}  // namespace agentfleet::sources::queue
