// The lease conformance suite against Redis: the shared `redis` fixture, and
// private servers from tests/servers/redis.sh (no persistence) for restarts.
#include <gtest/gtest.h>

#include "controller/sources/lease/redis_lease_store.h"
#include "controller/sources/redis/client.h"
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

// A value that is no "<generation> <shards>" (written by hand, or by another
// program) is never trusted: listed at generation 0 so that the operator's
// next publish replaces it, refused to the agent with the pod's name.
TEST(RedisPublishedAssignments, MalformedValueIsReplacedNotTrusted) {
  const StoreConfig config = RedisFixtureConfig();
  auto raw = Must(redis::Client::Connect(config.redis));
  RedisLeaseStore store(Must(redis::Client::Connect(config.redis)), config.key_prefix);
  const std::string fleet = UniqueName("fleet");
  ASSERT_TRUE(raw->Command({"HSET", store.AssignmentKey(fleet), "pod-a", "x 0-3"}).ok());
  EXPECT_EQ(Must(store.ListAssignments(fleet)),
            (std::vector<PublishedAssignment>{{"pod-a", 0, ""}}));
  auto read = store.ReadAssignment(fleet, "pod-a");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ErrorCode::kInternal);
  EXPECT_NE(read.error().message.find("pod pod-a is malformed"), std::string::npos);
  EXPECT_EQ(Must(store.PublishAssignments(fleet, {{"pod-a", 1, "2"}})), (std::vector<bool>{true}));
  EXPECT_EQ(Must(store.ReadAssignment(fleet, "pod-a")), (PublishedAssignment{"pod-a", 1, "2"}));
  ASSERT_TRUE(store.DeleteFleet(fleet).ok());
  EXPECT_EQ(Must(raw->Command({"EXISTS", store.AssignmentKey(fleet)})).integer, 0);
}

}  // namespace
}  // namespace agentfleet::sources::lease::testing
