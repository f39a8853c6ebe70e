#include "tools/agent-kubelet/pod_agents.h"

#include "examples/agent/go_quote.h"

namespace agentfleet::tools::agent_kubelet {
namespace {

using Json = nlohmann::json;

const Json& Field(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

std::string Text(const Json& j, const char* key) {
  const Json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace

std::string DownwardApiAnnotations(const Json& pod) {
  const Json& annotations = Field(Field(pod, "metadata"), "annotations");
  std::string out;
  if (!annotations.is_object()) return out;
  // nlohmann's object keeps its keys sorted: the kubelet's order.
  for (const auto& [key, value] : annotations.items()) {
    if (!value.is_string()) continue;
    if (!out.empty()) out += '\n';
    out += key + "=" + agent::GoQuote(value.get<std::string>());
  }
  return out;
}

bool ShouldRun(const Json& pod) {
  const Json& meta = Field(pod, "metadata");
  if (!Field(meta, "deletionTimestamp").is_null()) return false;
  const Json& status = Field(pod, "status");
  if (Text(status, "phase") != "Running") return false;
  const Json& conditions = Field(status, "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (Text(c, "type") == "Ready") return Text(c, "status") == "True";
  }
  return false;
}

Result<AgentSpec> AgentSpecFor(const Json& pod, const SecretReader& secrets) {
  const Json& meta = Field(pod, "metadata");
  AgentSpec spec;
  spec.pod = Text(meta, "name");
  spec.uid = Text(meta, "uid");
  if (spec.pod.empty()) return MakeError(ErrorCode::kInvalidArgument, "pod without a name");
  const Json& grace = Field(Field(pod, "spec"), "terminationGracePeriodSeconds");
  if (grace.is_number_integer()) spec.grace = std::chrono::seconds(grace.get<int64_t>());

  const Json& containers = Field(Field(pod, "spec"), "containers");
  if (!containers.is_array() || containers.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "pod " + spec.pod + " has no container");
  }
  const Json& env = Field(containers[0], "env");
  if (!env.is_array()) return spec;
  for (const auto& e : env) {
    const std::string name = Text(e, "name");
    if (name.empty() || name == "AGENTFLEET_ASSIGNMENT_FILE") continue;
    auto fail = [&](const std::string& why) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "pod " + spec.pod + ": env " + name + ": " + why);
    };
    if (Field(e, "valueFrom").is_null()) {
      spec.env[name] = Text(e, "value");
      continue;
    }
    const Json& from = Field(e, "valueFrom");
    if (const Json& f = Field(from, "fieldRef"); !f.is_null()) {
      const std::string path = Text(f, "fieldPath");
      if (path == "metadata.name") {
        spec.env[name] = spec.pod;
      } else if (path == "metadata.namespace") {
        spec.env[name] = Text(meta, "namespace");
      } else {
        return fail("fieldRef " + path + " is not supported");
      }
    } else if (const Json& s = Field(from, "secretKeyRef"); !s.is_null()) {
      auto value = secrets(Text(s, "name"), Text(s, "key"));
      if (!value) return fail(value.error().message);
      spec.env[name] = std::move(*value);
    } else {
      return fail("only fieldRef and secretKeyRef are supported");
    }
  }
  return spec;
}

}  // namespace agentfleet::tools::agent_kubelet
