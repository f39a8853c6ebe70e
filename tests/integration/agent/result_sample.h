#pragma once

// A sample of a Redis result store for ResultChecker: the fence marks and the
// stored prices read in one MULTI/EXEC, so at one instant.

#include <string>

#include "controller/base/result.h"
#include "controller/sources/redis/client.h"
#include "tests/integration/agent/fleet_checks.h"

namespace agentfleet::agent::testing {

// `base` is the keys' common prefix: "<keyPrefix>results:{<fleet>}:".
Result<ResultSample> ReadResults(sources::redis::Client& c, const std::string& base);

}  // namespace agentfleet::agent::testing
