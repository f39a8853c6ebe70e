#include "controller/kube/meta/json_fields.h"

namespace agentfleet::kube::meta {

std::string StringField(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace agentfleet::kube::meta
