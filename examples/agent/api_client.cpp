#include "examples/agent/api_client.h"

#include "controller/kube/config/rest_config.h"

namespace agentfleet::agent {

Result<std::unique_ptr<kube::rest::Client>> ConnectToApi(const std::string& kubeconfig,
                                                         const std::string& user_agent,
                                                         obs::Logger& log) {
  auto rest = kube::config::ResolveConfig(kubeconfig, kube::config::ProcessEnvironment());
  if (!rest.ok()) {
    return MakeError(rest.error().code, "no Kubernetes configuration: " + rest.error().message);
  }
  log.AddSecret(rest->token);
  auto client = kube::rest::Client::Create(std::move(*rest), {.user_agent = user_agent});
  if (!client.ok()) {
    return MakeError(client.error().code,
                     "cannot create the Kubernetes client: " + client.error().message);
  }
  return std::move(*client);
}

}  // namespace agentfleet::agent
