#pragma once

#include <string>

namespace agentfleet::kube::controller {

// A random version-4 UUID ("8-4-4-4-12" lowercase hex) naming one reconcile in
// the logs, as controller-runtime's reconcileID does. Thread-safe.
std::string NewReconcileID();

}  // namespace agentfleet::kube::controller
