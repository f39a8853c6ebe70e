#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "controller/base/clock.h"
#include "controller/base/result.h"

namespace agentfleet::kube::config {

// Reads a bearer token from a file and re-reads it once a minute, because the
// kubelet rotates projected service-account tokens in place.
class TokenFile {
 public:
  TokenFile(std::string path, const Clock& clock = RealClock::Instance());
  Result<std::string> Token();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const Clock& clock_;
  std::mutex mu_;
  std::string cached_;
  std::optional<Clock::Monotonic> read_at_;
};

// Everything needed to reach and authenticate to one API server. Certificates
// and keys are held as PEM text, whether they came inline or from files.
struct RestConfig {
  std::string server;  // https://host:port, no trailing slash
  std::string ca_pem;  // empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;                      // static bearer token
  std::shared_ptr<TokenFile> token_file;  // rotating bearer token, takes precedence
  std::string namespace_name = "default";
  std::string source;  // where this came from, for messages ("kubeconfig /x, context y")

  // The bearer token to send now, if any.
  Result<std::string> BearerToken() const;
};

struct KubeconfigOptions {
  std::string context;  // empty: current-context
};

// Parses a kubeconfig file. Errors name the offending field, for example
// "kubeconfig /p: users[0].user.client-certificate: cannot read /x: No such file".
Result<RestConfig> LoadKubeconfig(const std::string& path, const KubeconfigOptions& opts = {});
Result<RestConfig> ParseKubeconfig(const std::string& yaml_text, const std::string& path,
                                   const KubeconfigOptions& opts = {});

// Where in-cluster configuration lives; overridable for tests.
struct InClusterPaths {
  std::string token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string ns = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

Result<RestConfig> InClusterConfig(const std::map<std::string, std::string>& env,
                                   const InClusterPaths& paths = {});

// Precedence as client-go's: --kubeconfig, then $KUBECONFIG (the first file of
// a colon-separated list), then in-cluster.
Result<RestConfig> ResolveConfig(const std::string& kubeconfig_flag,
                                 const std::map<std::string, std::string>& env,
                                 const InClusterPaths& paths = {});

// The process environment as a map, for ResolveConfig.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace agentfleet::kube::config
