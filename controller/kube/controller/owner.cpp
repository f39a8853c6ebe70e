#include "controller/kube/controller/owner.h"

#include "controller/kube/controller/object_key.h"

namespace agentfleet::kube::controller {

std::string_view GroupOf(std::string_view api_version) {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

std::optional<std::string> ControllerOwnerKey(std::span<const OwnerReference> owners,
                                              std::string_view ns, std::string_view group,
                                              std::string_view kind) {
  for (const auto& o : owners) {
    // At most one owner may be the controller; the API server enforces it.
    if (!o.controller) continue;
    if (o.kind != kind || GroupOf(o.api_version) != group || o.name.empty()) return std::nullopt;
    return MakeKey(ns, o.name);
  }
  return std::nullopt;
}

}  // namespace agentfleet::kube::controller
