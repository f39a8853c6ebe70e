#pragma once

// Which fleet a pod belongs to: the key the pod informer's events enqueue and
// the index the reconciler reads a fleet's pods through.

#include <optional>
#include <string>

#include "controller/kube/informer/pod.h"
#include "controller/kube/informer/store.h"

namespace agentfleet::fleet::reconciler {

// The pod store's index of the fleet a pod belongs to: "namespace/fleet" from
// the agentfleet.io/fleet label.
inline constexpr const char* kFleetIndex = "fleet";
void AddFleetIndex(kube::informer::Store<kube::informer::PodRecord>& pods);

// The key of the fleet a pod belongs to: its controller owner when that is a
// PricingAgentFleet, else its fleet label; nullopt for neither.
std::optional<std::string> FleetKeyOfPod(const kube::informer::PodRecord& pod);

}  // namespace agentfleet::fleet::reconciler
