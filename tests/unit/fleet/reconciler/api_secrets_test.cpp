// ApiSecrets over the shared SecretCache, against the in-memory API client.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "controller/fleet/reconciler/secret_cache.h"
#include "controller/fleet/reconciler/source_config.h"
#include "tests/support/fake_client.h"

namespace agentfleet::fleet::reconciler {
namespace {

using agentfleet::testing::FakeClient;
using agentfleet::testing::Verb;
using kube::rest::resources::kSecrets;
using namespace std::chrono_literals;

// Secret "redis" of `ns`, password "s3cr3t".
void PutSecret(FakeClient& client, const std::string& ns) {
  client.Put(kSecrets, {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", {{"name", "redis"}, {"namespace", ns}}},
                        {"data", {{"password", "czNjcjN0"}}}});
}

// Fleets of one namespace passing on several workers at once, none holding
// the Secret: one GET between them, not one each.
TEST(ApiSecrets, ConcurrentMissesOfOneSecretReadItOnce) {
  FakeClient client;
  PutSecret(client, "shop");
  client.SetLatency(Verb::kGet, 50ms);
  SecretCache cache(300s);
  std::atomic<int> read{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      ApiSecrets secrets(client, "shop", &cache, Clock::Monotonic{});
      auto v = secrets.Get("redis", "password");
      if (v && *v == "s3cr3t") ++read;
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(read.load(), 4);
  EXPECT_EQ(client.CountCalls(Verb::kGet, "secrets"), 1u);
  // Another namespace's Secret of the same name is its own read.
  PutSecret(client, "other");
  ApiSecrets other(client, "other", &cache, Clock::Monotonic{});
  EXPECT_TRUE(other.Get("redis", "password").ok());
  EXPECT_EQ(client.CountCalls(Verb::kGet, "secrets"), 2u);
}

// A re-read after a refusal goes to the API server even with a fresh value.
TEST(ApiSecrets, AReReadIsNotAnsweredFromTheCache) {
  FakeClient client;
  PutSecret(client, "shop");
  SecretCache cache(300s);
  ApiSecrets first(client, "shop", &cache, Clock::Monotonic{});
  ASSERT_TRUE(first.Get("redis", "password").ok());
  ApiSecrets again(client, "shop", &cache, Clock::Monotonic{}, /*reread=*/true);
  ASSERT_TRUE(again.Get("redis", "password").ok());
  EXPECT_EQ(client.CountCalls(Verb::kGet, "secrets"), 2u);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
