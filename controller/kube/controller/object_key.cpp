#include "controller/kube/controller/object_key.h"

namespace agentfleet::kube::controller {

std::string MakeKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append("/").append(name);
  return key;
}

Result<ObjectKey> SplitKey(std::string_view key) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unexpected key format: \"" + std::string(key) + "\"");
  };
  auto slash = key.find('/');
  if (slash == std::string_view::npos) {
    if (key.empty()) return bad();
    return ObjectKey{"", std::string(key)};
  }
  if (key.find('/', slash + 1) != std::string_view::npos) return bad();
  auto ns = key.substr(0, slash);
  auto name = key.substr(slash + 1);
  if (ns.empty() || name.empty()) return bad();
  return ObjectKey{std::string(ns), std::string(name)};
}

}  // namespace agentfleet::kube::controller
