#pragma once

// The Kubernetes client of the agent-side programs (pricing-agent in API mode,
// agent-kubelet): configuration by client-go's precedence, the token added to
// the log's secrets before anything can log it.

#include <memory>
#include <string>

#include "controller/base/result.h"
#include "controller/kube/rest/client.h"
#include "controller/obs/log.h"

namespace agentfleet::agent {

// `kubeconfig` empty: $KUBECONFIG, then in-cluster. Errors say which step failed.
Result<std::unique_ptr<kube::rest::Client>> ConnectToApi(const std::string& kubeconfig,
                                                         const std::string& user_agent,
                                                         obs::Logger& log);

}  // namespace agentfleet::agent
