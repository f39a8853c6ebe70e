// A PricingAgentFleet as the API server may return it: the CRD's schema
// normally stands in front, but an object written under an older CRD (or by
// a client that bypassed validation) reaches the parser as is. Properties: no
// crash and no exception; a refusal is kInvalidArgument naming a field; an
// accepted spec keeps the rules the planner relies on; a status reads back
// equal after it is written.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "controller/fleet/api/parse.h"
#include "controller/fleet/api/status_json.h"
#include "tests/fuzz/fuzz_check.h"

namespace api = agentfleet::fleet::api;
using agentfleet::ErrorCode;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return 0;

  auto fleet = api::ParseFleet(doc);
  if (!fleet.ok()) {
    FUZZ_CHECK(fleet.error().code == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(!fleet.error().message.empty());
  } else {
    const api::FleetSpec& s = fleet->spec;
    FUZZ_CHECK(s.shards >= 1);
    if (s.autoscaling) {
      FUZZ_CHECK(s.autoscaling->min_replicas <= s.autoscaling->max_replicas);
      FUZZ_CHECK(s.autoscaling->max_replicas <= s.shards);
      FUZZ_CHECK(s.autoscaling->target_queue_depth_per_agent >= 1);
    } else {
      FUZZ_CHECK(s.ManualReplicas() <= s.shards);
    }
    const auto& containers = s.pod_template["spec"]["containers"];
    FUZZ_CHECK(containers.is_array() && !containers.empty());
  }

  if (doc.is_object() && doc.contains("status")) {
    auto status = api::ParseFleetStatus(doc["status"]);
    if (status.ok()) {
      auto again = api::ParseFleetStatus(api::StatusToJson(*status));
      FUZZ_CHECK(again.ok());
      FUZZ_CHECK(*again == *status);
    } else {
      FUZZ_CHECK(status.error().code == ErrorCode::kInvalidArgument);
    }
  }
  return 0;
}
