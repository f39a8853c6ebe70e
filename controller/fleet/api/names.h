#pragma once

// The names the operator and its users share: API coordinates, labels,
// annotations, the finalizer and the condition vocabulary. The shard
// assignment annotations live with the protocol (controller/sources/protocol/annotations.h).

#include <cstddef>
#include <string>
#include <string_view>

namespace agentfleet::fleet::api {

inline constexpr std::string_view kGroup = "agentfleet.io";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "agentfleet.io/v1alpha1";
inline constexpr std::string_view kKind = "PricingAgentFleet";
inline constexpr std::string_view kPlural = "pricingagentfleets";
inline constexpr std::string_view kCrdName = "pricingagentfleets.agentfleet.io";

// On every agent pod: the fleet's name (the pod selector) and who manages it.
inline constexpr std::string_view kFleetLabel = "agentfleet.io/fleet";
// The longest fleet name: the name is kFleetLabel's value, and a label value
// has at most 63 characters. Pod names "<name>-<index>" (at most 63 + 1 + 20
// characters) then stay valid too, far below the 253 of an object name.
inline constexpr size_t kMaxFleetName = 63;
// The revision of the template a pod was made from (TemplateHash), as a
// Deployment's pods carry pod-template-hash.
inline constexpr std::string_view kTemplateHashLabel = "agentfleet.io/template-hash";
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "agentfleet-controller";
// Field manager of the operator's writes (server-side apply and updates).
inline constexpr std::string_view kFieldManager = "agentfleet-controller";

// On a fleet: "true" stops scaling decisions (assignment and retirement go on).
inline constexpr std::string_view kPausedAnnotation = "agentfleet.io/paused";
// On a pod: the RFC 3339 time its retirement began; the drain timeout counts
// from there, and it survives an operator restart because it is in the pod.
inline constexpr std::string_view kRetiringAnnotation = "agentfleet.io/retiring";
// Prefix of every annotation the operator reads, for compact caches.
inline constexpr std::string_view kAnnotationPrefix = "agentfleet.io/";

// The fleet's identity in the lease table and the result store:
// "<namespace>/<name>", so that fleets of one name in two namespaces never
// share leases, whatever key prefix they use. Agents get it as AGENTFLEET_FLEET.
inline std::string LeaseFleetId(std::string_view ns, std::string_view name) {
  return std::string(ns) + "/" + std::string(name);
}

// On a fleet: removed only after the fleet's lease records are deleted.
inline constexpr std::string_view kLeaseCleanupFinalizer = "agentfleet.io/lease-cleanup";

// Condition types of status.conditions.
inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionProgressing = "Progressing";
inline constexpr std::string_view kConditionDegraded = "Degraded";
inline constexpr std::string_view kConditionScalingLimited = "ScalingLimited";
// Present once a pod name the fleet needed was taken by another owner's pod.
inline constexpr std::string_view kConditionPodNameConflict = "PodNameConflict";

}  // namespace agentfleet::fleet::api
