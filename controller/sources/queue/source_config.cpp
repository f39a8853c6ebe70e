#include "controller/sources/queue/source_config.h"

#include <cstdlib>

namespace agentfleet::sources::queue {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

Result<AwsEnvironment> AwsEnvironmentFromEnv() {
  AwsEnvironment env;
  env.credentials.access_key_id = Env("AWS_ACCESS_KEY_ID");
  env.credentials.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
  env.credentials.session_token = Env("AWS_SESSION_TOKEN");
  env.region = Env("AWS_REGION");
  if (env.region.empty()) env.region = Env("AWS_DEFAULT_REGION");
  const bool has_id = !env.credentials.access_key_id.empty();
  const bool has_secret = !env.credentials.secret_access_key.empty();
  if (!has_id && !has_secret) {
    return MakeError(ErrorCode::kNotFound,
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  }
  if (!has_id || !has_secret) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(has_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                         " is not set while " +
                         (has_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") + " is");
  }
  return env;
}

}  // namespace agentfleet::sources::queue
