// The lease conformance suite against Redis: the shared `redis` fixture, and
// private servers from tests/servers/redis.sh (no persistence) for restarts.
#include <gtest/gtest.h>

#include "controller/sources/lease/redis_lease_store.h"
#include "tests/integration/sources/lease/conformance.h"
#include "tests/integration/sources/lease/fixture_config.h"

namespace agentfleet::sources::lease::testing {
namespace {

sources::redis::Options At(uint16_t port) {
  sources::redis::Options o;
  o.port = port;
  o.command_timeout = std::chrono::milliseconds(5000);
  return o;
}

class RedisPrivateServer final : public PrivateServer {
 public:
  RedisPrivateServer() : dir_(MakeTempDir("redis")) {
    try {
      RunFixtureScript("redis.sh", "up", dir_);
    } catch (...) {
      RunFixtureScript("redis.sh", "down", dir_);
      throw;
    }
    port_ = static_cast<uint16_t>(std::stoi(ReadLine(dir_ + "/port")));
  }
  ~RedisPrivateServer() override { RunFixtureScript("redis.sh", "down", dir_); }
  std::unique_ptr<LeaseStore> NewLeaseStore() override {
    return Must(RedisLeaseStore::Connect(At(port_)));
  }
  void Restart() override { RunFixtureScript("redis.sh", "restart", dir_); }

 private:
  std::string dir_;
  uint16_t port_ = 0;
};

class RedisHarness final : public StoreHarness {
 public:
  std::string Name() const override { return "redis"; }
  // The shared fixture goes through the configuration path a deployment uses.
  std::unique_ptr<LeaseStore> NewLeaseStore() override {
    return Must(OpenLeaseStore(RedisFixtureConfig()));
  }
  std::unique_ptr<PrivateServer> StartPrivateServer() override {
    return std::make_unique<RedisPrivateServer>();
  }
  bool Durable() const override { return false; }
};

INSTANTIATE_TEST_SUITE_P(Redis, LeaseConformance,
                         ::testing::Values(HarnessParam{
                             "redis",
                             [] { return std::unique_ptr<StoreHarness>(new RedisHarness); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace agentfleet::sources::lease::testing
