#pragma once

// Maps an owned object (a Pod) to the key of the object that controls it (its
// PricingAgentFleet), as controller-runtime's EnqueueRequestForOwner with
// OnlyControllerOwner() does, so that a change to a pod reconciles its fleet.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace agentfleet::kube::controller {

// The fields of metadata.ownerReferences[] the operator reads.
struct OwnerReference {
  std::string api_version;  // "agentfleet.io/v1alpha1", or "v1" for the core group
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};

// The group of an apiVersion: "agentfleet.io" for "agentfleet.io/v1alpha1",
// "" for "v1".
std::string_view GroupOf(std::string_view api_version);

// The key ("namespace/name") of the owner marked controller=true, when that
// owner has the given group and kind (any version); nullopt otherwise.
// `ns` is the owned object's namespace: Kubernetes requires a namespaced owner
// to live in the same namespace, and an owner of a cluster-scoped object is
// cluster-scoped, so `ns` is right in both cases.
std::optional<std::string> ControllerOwnerKey(std::span<const OwnerReference> owners,
                                              std::string_view ns, std::string_view group,
                                              std::string_view kind);

}  // namespace agentfleet::kube::controller
