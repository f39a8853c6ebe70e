#include "tests/support/fleet_setup.h"

#include "controller/base/base64.h"
#include "controller/fleet/api/names.h"
#include "tests/support/cluster.h"
#include "tests/support/wait.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::testing {

Status InstallFleetCrd(kube::rest::Client& client, const std::string& field_manager) {
  nlohmann::json crd = LoadYaml(SourcePath("crds/agentfleet.io_pricingagentfleets.yaml"));
  auto applied = client.Patch(kube::rest::resources::kCustomResourceDefinitions, "",
                              std::string(fleet::api::kCrdName), kube::rest::PatchType::kApply, crd,
                              {.field_manager = field_manager, .force = true});
  if (!applied) return applied.error();
  if (!Eventually(
          [&] { return client.List(kube::rest::resources::kPricingAgentFleets, "default").ok(); },
          std::chrono::seconds(60))) {
    return MakeError(ErrorCode::kUnavailable, "the PricingAgentFleet API did not come up");
  }
  return Ok{};
}

int AddRedisUser(int port, const std::string& user, const std::string& password) {
  return Shell("redis-cli -p " + std::to_string(port) + " ACL SETUSER " + user + " on '>" +
               password + "' '~*' '&*' +@all");
}

std::string RedisUserUrl(int port, const std::string& user) {
  return "redis://" + user + "@127.0.0.1:" + std::to_string(port) + "/0";
}

nlohmann::json RedisSecret(const std::string& ns, const std::string& password) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "pricing-redis"}, {"namespace", ns}}},
          {"data", {{"password", Base64Encode(password)}}}};
}

nlohmann::json RedisFleet(const std::string& ns, const std::string& url,
                          const std::string& queue_prefix, const std::string& lease_prefix) {
  nlohmann::json f = LoadYaml(SourcePath("examples/fleet-redis.yaml"));
  f["metadata"]["namespace"] = ns;
  f["spec"]["queue"]["redisStreams"]["url"] = url;
  f["spec"]["queue"]["redisStreams"]["keyPrefix"] = queue_prefix;
  f["spec"]["leases"]["redis"]["url"] = url;
  f["spec"]["leases"]["redis"]["keyPrefix"] = lease_prefix;
  return f;
}

}  // namespace agentfleet::testing
