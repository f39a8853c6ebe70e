#include "controller/fleet/reconciler/pod_hardening.h"

#include <string>
#include <string_view>

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kFromApiFlag = "--assignment-from-api";

// The object at `key`, created if absent; nullptr if present as something
// other than an object (left for the API server to refuse).
Json* ObjectAt(Json& parent, const char* key) {
  if (!parent.contains(key)) parent[key] = Json::object();
  Json& v = parent[key];
  return v.is_object() ? &v : nullptr;
}

void SetIfAbsent(Json& object, const char* key, Json value) {
  if (!object.contains(key)) object[key] = std::move(value);
}

void HardenContainer(Json& container) {
  if (!container.is_object()) return;
  Json* sc = ObjectAt(container, "securityContext");
  if (sc == nullptr) return;
  SetIfAbsent(*sc, "allowPrivilegeEscalation", false);
  if (Json* caps = ObjectAt(*sc, "capabilities")) {
    SetIfAbsent(*caps, "drop", Json::array({"ALL"}));
  }
}

void HardenContainers(Json& spec, const char* key) {
  if (!spec.contains(key) || !spec[key].is_array()) return;
  for (auto& c : spec[key]) HardenContainer(c);
}

// The agent's flag parser (controller/base/flags.cpp) takes the bare flag or
// --flag=<bool>; only an explicit false turns it off.
bool EnablesFromApi(std::string_view arg) {
  if (arg == kFromApiFlag) return true;
  if (!arg.starts_with(kFromApiFlag) || arg.size() == kFromApiFlag.size() ||
      arg[kFromApiFlag.size()] != '=') {
    return false;
  }
  std::string_view v = arg.substr(kFromApiFlag.size() + 1);
  return !(v == "false" || v == "0" || v == "f" || v == "FALSE" || v == "False");
}

bool ReadsAssignmentFromApi(const Json& spec) {
  if (!spec.contains("containers") || !spec["containers"].is_array()) return false;
  for (const auto& c : spec["containers"]) {
    if (!c.is_object()) continue;
    for (const char* key : {"command", "args"}) {
      if (!c.contains(key) || !c[key].is_array()) continue;
      for (const auto& arg : c[key]) {
        if (arg.is_string() && EnablesFromApi(arg.get<std::string>())) return true;
      }
    }
  }
  return false;
}

}  // namespace

void HardenPodSpec(Json& spec) {
  if (!spec.is_object()) return;
  if (Json* sc = ObjectAt(spec, "securityContext")) {
    SetIfAbsent(*sc, "runAsNonRoot", true);
    SetIfAbsent(*sc, "seccompProfile", Json{{"type", "RuntimeDefault"}});
  }
  HardenContainers(spec, "containers");
  HardenContainers(spec, "initContainers");
  if (!ReadsAssignmentFromApi(spec)) SetIfAbsent(spec, "automountServiceAccountToken", false);
}

}  // namespace agentfleet::fleet::reconciler
