#pragma once

#include <string>
#include <string_view>

namespace agentfleet::kube::rest {

// A REST resource: group/version/resource, generic over every kind.
struct Resource {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural, lower case
  bool namespaced = true;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // /api/v1/namespaces/ns/pods/name/status; any of ns, name, subresource may be empty.
  std::string Path(std::string_view ns, std::string_view name = {},
                   std::string_view subresource = {}) const;
};

namespace resources {
inline const Resource kPods{"", "v1", "pods", true};
// metrics.k8s.io (metrics-server, through the aggregation layer): PodMetrics.
inline const Resource kPodMetrics{"metrics.k8s.io", "v1beta1", "pods", true};
inline const Resource kSecrets{"", "v1", "secrets", true};
inline const Resource kNamespaces{"", "v1", "namespaces", false};
inline const Resource kEvents{"events.k8s.io", "v1", "events", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const Resource kCustomResourceDefinitions{"apiextensions.k8s.io", "v1",
                                                 "customresourcedefinitions", false};
inline const Resource kPricingAgentFleets{"agentfleet.io", "v1alpha1", "pricingagentfleets", true};
}  // namespace resources

// Percent-encodes a query or path component (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);

}  // namespace agentfleet::kube::rest
