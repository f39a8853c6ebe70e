#pragma once

// What agent-kubelet starts for a pod, as pure functions over the Pod's JSON:
// whether the pod should have a running agent, and the agent's environment
// resolved as a kubelet resolves the first container's `env` (literal values,
// the downward API's metadata.name/namespace, Secret keys).

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/base/result.h"

namespace agentfleet::tools::agent_kubelet {

// Reads one key of a Secret in the pod's namespace (decoded).
using SecretReader =
    std::function<Result<std::string>(const std::string& name, const std::string& key)>;

struct AgentSpec {
  std::string pod;
  std::string uid;  // a pod recreated under the same name gets a new agent
  std::map<std::string, std::string> env;
  std::chrono::seconds grace{30};  // terminationGracePeriodSeconds
};

// Ready, Running and not being deleted: the kubelet would run its containers.
bool ShouldRun(const nlohmann::json& pod);

// The agent for `pod`. The assignment file is a path inside the container,
// meaningless on this host, so AGENTFLEET_ASSIGNMENT_FILE is left out (the
// agent is given --assignment-file of a host path, or --assignment-from-api).
// An env entry this function cannot resolve is an error naming the variable.
Result<AgentSpec> AgentSpecFor(const nlohmann::json& pod, const SecretReader& secrets);

// The pod's metadata.annotations as the kubelet renders a downward-API
// volume file: one key="value" line per annotation, sorted by key, each value
// quoted as Go's strconv.Quote quotes it.
std::string DownwardApiAnnotations(const nlohmann::json& pod);

}  // namespace agentfleet::tools::agent_kubelet
