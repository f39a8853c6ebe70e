#pragma once

// Parsing of spec.autoscaling.metrics: the Resource metrics (cpu, memory) a
// fleet scales on besides its queue.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/fleet/api/json_reader.h"
#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::api::detail {

// The schema's bound on averageUtilization (a percent of the requests).
constexpr int64_t kMaxUtilization = 10'000;

std::vector<ResourceMetricSpec> ParseResourceMetrics(JsonReader& r,
                                                     const nlohmann::json& autoscaling,
                                                     const std::string& path);

}  // namespace agentfleet::fleet::api::detail
