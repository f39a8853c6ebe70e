// What a busy fleet costs: with real agents working a backlog the queue depth
// changes at every pass, so every pass patches the status. The operator's
// own status patch must not start another pass: a steady fleet costs one pass
// per poll interval (plus pod events, none here), not two.
#include "tests/e2e/fleet/fleet_harness.h"

namespace agentfleet {
namespace {

constexpr int kAgents = 2;
constexpr int kPollSeconds = 2;

class PassesE2E : public FleetE2E {};

TEST_F(PassesE2E, AStatusPatchDoesNotStartAnotherPass) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();
  f["spec"]["autoscaling"]["minReplicas"] = kAgents;
  f["spec"]["autoscaling"]["maxReplicas"] = kAgents;
  f["spec"]["autoscaling"]["pollIntervalSeconds"] = kPollSeconds;
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), f).ok());
  Watchdog dog(OpenLeases(), ns());
  StartController();
  StartKubelet();
  ASSERT_TRUE(Eventually([&] { return Settled(kAgents, dog); }, 90s)) << Diagnostics();

  // A backlog that outlasts the window: 2 agents price ~100 tasks/s.
  // 16 s in `make test`; the bench (tests/bench/fleet/passes) sets 60.
  const int kWindowSeconds = EnvInt("AGENTFLEET_PASSES_WINDOW_SECONDS", 16);
  const int kTasks = 2000 + 150 * kWindowSeconds;
  {
    auto redis = Redis();
    std::vector<sources::redis::Client::Args> cmds;
    for (int i = 0; i < kTasks; ++i) {
      std::string product = "passes-" + std::to_string(i);
      uint32_t shard = sources::protocol::ShardOf(product, kShards);
      cmds.push_back({"XADD", prefix_ + "tasks:" + std::to_string(shard), "*", "task", product,
                      "product", product, "price", "100"});
    }
    ASSERT_TRUE(redis->Pipeline(cmds).ok());
  }
  auto depth = [&] { return Status().value("queueDepth", int64_t{-1}); };
  ASSERT_TRUE(Eventually([&] { return depth() > 0; }, 30s)) << Diagnostics();

  const std::string passes = "controller_runtime_reconcile_total";
  const double passes0 = MetricSum(passes), requests0 = MetricSum("rest_client_requests_total");
  const double patches0 = MetricSum("rest_client_requests_total", "method=\"PATCH\"");
  const int64_t depth0 = depth();
  std::this_thread::sleep_for(std::chrono::seconds(kWindowSeconds));
  const double ran = MetricSum(passes) - passes0;
  const double requests = MetricSum("rest_client_requests_total") - requests0;
  const double patches = MetricSum("rest_client_requests_total", "method=\"PATCH\"") - patches0;
  const int64_t depth1 = depth();

  std::cout << "a fleet of " << kAgents << " agents working a backlog for " << kWindowSeconds
            << " s at pollIntervalSeconds " << kPollSeconds << ": " << ran << " passes ("
            << ran * 60 / kWindowSeconds << "/min), " << requests / std::max(ran, 1.0)
            << " API requests and " << patches / std::max(ran, 1.0)
            << " PATCHes per pass; queue depth " << depth0 << " -> " << depth1 << "\n";
  ASSERT_GT(passes0, 0);
  EXPECT_LT(depth1, depth0) << "the agents did not work the backlog, or the status stood still";
  EXPECT_GT(patches, 0) << "no status patch in the window: the test shows nothing";
  // One pass per poll interval; a second pass per status patch would double it.
  const double expected = static_cast<double>(kWindowSeconds) / kPollSeconds;
  EXPECT_LE(ran, expected * 1.25 + 1) << "passes in " << kWindowSeconds << " s: " << ran;
  EXPECT_GE(ran, expected * 0.5) << "the fleet is not polled every interval";
  EXPECT_TRUE(dog.Violations().empty()) << dog.Violations().front();
  EXPECT_EQ(controller_.Stop(), 0);
}

}  // namespace
}  // namespace agentfleet
