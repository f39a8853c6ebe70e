// The result-store conformance suite against the shared `postgres` fixture.
#include <gtest/gtest.h>

#include "tests/integration/agent/results/result_conformance.h"
#include "tests/integration/sources/lease/fixture_config.h"

namespace agentfleet::agent::results::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, ResultConformance,
                         ::testing::Values(StoreParam{
                             "postgres", sources::lease::testing::PostgresFixtureConfig}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace agentfleet::agent::results::testing
