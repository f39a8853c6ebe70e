#pragma once

// Workqueue keys as client-go's MetaNamespaceKeyFunc makes them:
// "namespace/name" for namespaced objects, "name" for cluster-scoped ones.

#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::kube::controller {

struct ObjectKey {
  std::string ns;  // empty for cluster-scoped objects
  std::string name;
  bool operator==(const ObjectKey&) const = default;
};

std::string MakeKey(std::string_view ns, std::string_view name);

// kInvalidArgument for an empty key, an empty part, or more than one '/'.
Result<ObjectKey> SplitKey(std::string_view key);

}  // namespace agentfleet::kube::controller
