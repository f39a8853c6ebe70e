#pragma once

// Security defaults for an agent pod, so that a fleet's pods are admitted in a
// namespace that enforces the restricted Pod Security Standard. Only what the
// template leaves unset is filled in: a template that asks for something else
// (root, a capability, the service-account token) gets it.

#include <nlohmann/json.hpp>

namespace agentfleet::fleet::reconciler {

// Fills in, where unset: the pod's securityContext.runAsNonRoot (true) and
// seccompProfile (RuntimeDefault); each container's and init container's
// allowPrivilegeEscalation (false) and capabilities.drop (["ALL"]); and
// automountServiceAccountToken (false), unless a container runs the agent
// with --assignment-from-api, which reads its own Pod from the API.
// Fields of the wrong type are left for the API server to refuse.
void HardenPodSpec(nlohmann::json& spec);

}  // namespace agentfleet::fleet::reconciler
