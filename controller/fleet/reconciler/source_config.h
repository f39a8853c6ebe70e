#pragma once

// A fleet's spec.queue and spec.leases as the sources' own configurations.
// Secret values come through a lookup callback, so that this is pure: the
// reconciler reads the Secrets through the API, tests pass a map.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "controller/base/clock.h"
#include "controller/base/result.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/reconciler/secret_cache.h"
#include "controller/kube/rest/client.h"
#include "controller/sources/lease/store_config.h"
#include "controller/sources/queue/make_queue_source.h"

namespace agentfleet::fleet::reconciler {

// The value of one key of a Secret in the fleet's namespace. kNotFound (with a
// message naming the Secret and key, never the value) when either is missing.
using SecretLookup =
    std::function<Result<std::string>(const std::string& secret, const std::string& key)>;

// The SecretLookup of a reconcile pass: takes each referenced Secret of the
// namespace from `cache` while it is fresh, or else reads it through the API
// (at most once per pass), and keeps what it handed out so that the caller
// can tell a rotated value from an unchanged one. `reread` skips the cache:
// the sources refused or failed with what it holds.
class ApiSecrets {
 public:
  ApiSecrets(kube::rest::Client& client, std::string ns, SecretCache* cache = nullptr,
             Clock::Monotonic now = {}, bool reread = false)
      : client_(client), ns_(std::move(ns)), cache_(cache), now_(now), reread_(reread) {}
  Result<std::string> Get(const std::string& secret, const std::string& key);
  SecretLookup AsLookup() {
    return [this](const std::string& secret, const std::string& key) { return Get(secret, key); };
  }
  // Every secret, key and value handed out, in order: hash it, never log it.
  const std::string& values_read() const { return read_; }

 private:
  Result<nlohmann::json> Read(const std::string& name);

  kube::rest::Client& client_;
  std::string ns_;
  SecretCache* cache_;
  Clock::Monotonic now_;
  bool reread_;
  std::map<std::string, Result<nlohmann::json>> secrets_;
  std::string read_;
};

// The TLS stack reads a CA bundle from a file: this puts a PEM from a Secret
// into one and returns its path. Empty: caSecretRef is reported as unsupported.
using CaFileWriter = std::function<Result<std::string>(const std::string& pem)>;

// What the installation lends fleets of the operator's own cloud identity:
// nothing unless it opted in (--allow-operator-cloud-identity), since a fleet
// author chooses the queue URL and reads the answers in the fleet's status.
struct OperatorIdentity {
  // Null: an SQS queue without credentialsSecretRef is refused (CredentialsRequired).
  std::shared_ptr<sources::queue::AwsCredentialsProvider> aws;
  std::string aws_region;  // the signing region when the spec names none
};

// The Error::reason of a queue that needs credentials the installation does not lend.
inline constexpr std::string_view kCredentialsRequired = "CredentialsRequired";

// Errors name the spec field and never carry a Secret's value.
Result<sources::queue::QueueSourceConfig> QueueConfigFor(const api::FleetSpec& spec,
                                                         const SecretLookup& secrets,
                                                         const CaFileWriter& ca_files = {},
                                                         const OperatorIdentity& identity = {});
Result<sources::lease::StoreConfig> LeaseStoreConfigFor(const api::FleetSpec& spec,
                                                        const SecretLookup& secrets,
                                                        const CaFileWriter& ca_files = {});

// A CaFileWriter keeping files in `dir` (created 0700), named by a hash of
// their content so that equal bundles share a file and a rotated one gets a
// new path.
CaFileWriter DirectoryCaFiles(std::string dir);

}  // namespace agentfleet::fleet::reconciler
