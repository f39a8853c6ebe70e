// agentfleet-controller as shipped, against the local control plane and a
// real Redis: the manager's wiring (informers, handlers, the controller's
// workers, leader election, metrics) brings a fleet to its plan and runs its
// finalizer on deletion.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "controller/fleet/api/names.h"
#include "controller/kube/rest/client.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "tests/support/cluster.h"
#include "tests/support/fleet_setup.h"
#include "tests/support/wait.h"

namespace agentfleet {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;

const std::string kBinary = AGENTFLEET_BIN_DIR "/agentfleet-controller";
constexpr const char* kPassword = "pl4nted-Binary-PASSWORD";
constexpr const char* kRedisUser = "fleet-binary-test";

using testing::Eventually;

int RedisPort() {
  return testing::FixturePort("AGENTFLEET_REDIS_DIR");
}

pid_t Start(const std::vector<std::string>& args, const std::string& log) {
  return testing::StartProcess(kBinary, args, log);
}

std::string Metrics(int port) {
  std::string out;
  testing::Shell("curl -s http://127.0.0.1:" + std::to_string(port) + "/metrics", &out);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ControllerBinary, ReconcilesAFleetAndRunsItsFinalizer) {
  ASSERT_NE(RedisPort(), 0) << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
  auto client = testing::ClusterClient();
  auto installed = testing::InstallFleetCrd(*client, "agentfleet-binary-test");
  ASSERT_TRUE(installed.ok()) << installed.error().ToString();
  ASSERT_EQ(testing::AddRedisUser(RedisPort(), kRedisUser, kPassword), 0);

  testing::ScopedNamespace ns(*client, "binary");
  ASSERT_TRUE(client
                  ->Create(kube::rest::resources::kSecrets, ns.name(),
                           testing::RedisSecret(ns.name(), kPassword))
                  .ok());
  Json fleet = testing::RedisFleet(ns.name(), testing::RedisUserUrl(RedisPort(), kRedisUser),
                                   "bt-" + ns.name() + ":tasks", "bt-" + ns.name() + ":leases:");
  fleet["spec"].erase("autoscaling");
  fleet["spec"]["replicas"] = 2;
  fleet["spec"]["shards"] = 12;
  auto created = client->Create(kPricingAgentFleets, ns.name(), fleet);
  ASSERT_TRUE(created.ok()) << created.error().ToString();

  int metrics = testing::FreePort();
  std::string log = "/tmp/agentfleet-binary-test-" + std::to_string(getpid()) + ".log";
  pid_t pid = Start({"--kubeconfig", std::getenv("KUBECONFIG"), "--namespace", ns.name(),
                     "--leader-elect", "--leader-election-namespace", ns.name(),
                     "--metrics-bind-address", "127.0.0.1:" + std::to_string(metrics),
                     "--health-probe-bind-address", "0", "--log-level", "debug"},
                    log);
  auto stop = [&] {
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 150 && waitpid(pid, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(100ms);
    return status;
  };

  auto balanced = [&] {
    auto list = client->List(kPods, ns.name(), {.label_selector = "agentfleet.io/fleet=pricing"});
    if (!list || list->items.size() != 2) return false;
    for (const auto& p : list->items) {
      auto shards = sources::protocol::ParseShardRanges(
          p["metadata"]["annotations"].value("agentfleet.io/shards", ""), 12);
      if (!shards || shards->size() != 6) return false;
    }
    return true;
  };
  bool ok = Eventually(balanced, 60s);
  if (!ok) stop();
  ASSERT_TRUE(ok) << "no 2 balanced pods; log in " << log;

  const std::string labels = "{namespace=\"" + ns.name() + "\",fleet=\"pricing\"";
  EXPECT_TRUE(Eventually(
      [&] {
        std::string text = Metrics(metrics);
        return text.find("agentfleet_desired_replicas" + labels + "} 2") != std::string::npos &&
               text.find("agentfleet_ready_replicas" + labels + "} 2") != std::string::npos &&
               text.find("agentfleet_shards" + labels + ",state=\"assigned\"} 12") !=
                   std::string::npos;
      },
      30s))
      << Metrics(metrics);

  EXPECT_TRUE(Eventually(
      [&] {
        auto listed = client->List(kube::rest::resources::kEvents, ns.name());
        if (!listed) return false;
        for (const auto& e : listed->items) {
          if (e["regarding"].value("kind", "") == "PricingAgentFleet" &&
              e.value("reason", "") == "ScaledUp") {
            return true;
          }
        }
        return false;
      },
      30s))
      << "no ScaledUp event on the fleet";

  // Deleting the fleet: the running process removes its finalizer.
  ASSERT_TRUE(client->Delete(kPricingAgentFleets, ns.name(), "pricing").ok());
  EXPECT_TRUE(Eventually(
      [&] {
        auto got = client->Get(kPricingAgentFleets, ns.name(), "pricing");
        return !got.ok() && got.error().code == ErrorCode::kNotFound;
      },
      60s))
      << "the finalizer was not removed; log in " << log;

  EXPECT_TRUE(Eventually(
      [&] {
        return Metrics(metrics).find("agentfleet_desired_replicas" + labels) == std::string::npos;
      },
      30s))
      << "the deleted fleet's gauges are still exported";

  int status = stop();
  ASSERT_TRUE(WIFEXITED(status)) << "did not stop within 15 s";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string text = ReadFile(log);
  EXPECT_NE(text.find("fleet controller started"), std::string::npos);
  EXPECT_EQ(text.find(kPassword), std::string::npos) << "the Redis password leaked into the log";
  EXPECT_EQ(Metrics(metrics).find(kPassword), std::string::npos);
  std::remove(log.c_str());
}

}  // namespace
}  // namespace agentfleet
