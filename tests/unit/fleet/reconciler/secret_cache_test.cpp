#include "controller/fleet/reconciler/secret_cache.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using namespace std::chrono_literals;

const Clock::Monotonic kT0{};

TEST(SecretCache, AReadIsFreshForTheIntervalThenReadAgain) {
  SecretCache cache(300s);
  EXPECT_FALSE(cache.Fresh("shop", "redis", kT0).has_value());
  cache.Store("shop", "redis", {{"data", {{"password", "YQ=="}}}}, kT0);
  EXPECT_EQ(cache.Fresh("shop", "redis", kT0 + 299s)->dump(), R"({"data":{"password":"YQ=="}})");
  EXPECT_FALSE(cache.Fresh("shop", "redis", kT0 + 300s).has_value());
  EXPECT_TRUE(cache.Kept("shop", "redis").has_value());  // for a failed re-read
}

TEST(SecretCache, NamespacesAreKeptApart) {
  SecretCache cache(300s);
  cache.Store("shop", "redis", {{"a", 1}}, kT0);
  EXPECT_FALSE(cache.Fresh("other", "redis", kT0).has_value());
  EXPECT_FALSE(cache.Kept("other", "redis").has_value());
}

TEST(SecretCache, ForgetDropsTheValue) {
  SecretCache cache(300s);
  cache.Store("shop", "redis", {{"a", 1}}, kT0);
  cache.Forget("shop", "redis");
  EXPECT_FALSE(cache.Kept("shop", "redis").has_value());
}

TEST(SecretCache, SecretsNoFleetReadForTwoIntervalsAreDropped) {
  SecretCache cache(300s);
  cache.Store("shop", "old", {{"a", 1}}, kT0);
  cache.Store("shop", "used", {{"a", 2}}, kT0 + 400s);
  EXPECT_EQ(cache.size(), 2u);
  cache.Store("shop", "used", {{"a", 2}}, kT0 + 600s);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.Kept("shop", "old").has_value());
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
