// The result-store conformance suite against the shared `redis` fixture, and
// what is particular to the Redis store.
#include "examples/agent/results/redis_result_store.h"

#include <gtest/gtest.h>

#include "controller/sources/redis/client.h"
#include "tests/integration/agent/results/result_conformance.h"
#include "tests/integration/sources/lease/fixture_config.h"

namespace agentfleet::agent::results::testing {
namespace {

using sources::lease::testing::Must;

INSTANTIATE_TEST_SUITE_P(Redis, ResultConformance,
                         ::testing::Values(StoreParam{"redis",
                                                      sources::lease::testing::RedisFixtureConfig}),
                         [](const auto& info) { return info.param.name; });

// A price stored before task versions existed ("<token> <shard> <price>")
// reads as version (0, 0), the oldest: the next task of the product replaces it.
TEST(RedisResultStore, APriceStoredWithoutAVersionIsTheOldest) {
  const auto config = sources::lease::testing::RedisFixtureConfig();
  const std::string fleet = sources::lease::testing::UniqueName("legacy");
  const std::string base = config.key_prefix + "results:{" + fleet + "}:";
  auto redis = Must(sources::redis::Client::Connect(config.redis));
  ASSERT_TRUE(redis->Command({"HSET", base + "fence", "3", "5"}).ok());
  ASSERT_TRUE(redis->Command({"HSET", base + "prices", "old", "5 3 999"}).ok());
  auto store = Must(RedisResultStore::Connect(config.redis, config.key_prefix));
  EXPECT_EQ(**store->Get(fleet, "old"), (StoredPrice{"old", 3, 999, 5, {0, 0}}));
  auto w = store->Write(fleet, 3, 5, {{"old", 1000, {0, 1}}});
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->superseded, 0u);
  EXPECT_EQ(**store->Get(fleet, "old"), (StoredPrice{"old", 3, 1000, 5, {0, 1}}));
  EXPECT_EQ(redis->Command({"HGET", base + "prices", "old"})->str, "5 3 1000 0-1");
  ASSERT_TRUE(store->DeleteFleet(fleet).ok());
}

}  // namespace
}  // namespace agentfleet::agent::results::testing
