// The result-store conformance suite against the shared `redis` fixture.
#include <gtest/gtest.h>

#include "tests/integration/agent/results/result_conformance.h"
#include "tests/integration/sources/lease/fixture_config.h"

namespace agentfleet::agent::results::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Redis, ResultConformance,
                         ::testing::Values(StoreParam{"redis",
                                                      sources::lease::testing::RedisFixtureConfig}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace agentfleet::agent::results::testing
