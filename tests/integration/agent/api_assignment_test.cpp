// pricing-agent --assignment-from-api against the fixture cluster (its own Pod
// watched through the API) and the fixture redis-server.

#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "controller/kube/rest/resource.h"
#include "controller/sources/lease/redis_lease_store.h"
#include "tests/integration/agent/agent_process.h"
#include "tests/support/cluster.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;
using kube::rest::Json;

Json Annotations(int64_t generation, const std::string& shards) {
  return {{"agentfleet.io/assignment-generation", std::to_string(generation)},
          {"agentfleet.io/shards", shards}};
}

TEST(ApiAssignment, FollowsItsOwnPodAnnotations) {
  auto client = agentfleet::testing::ClusterClient();
  agentfleet::testing::ScopedNamespace ns(*client, "agent-api");
  const std::string pod = "pricing-agent-0";
  Json body = {{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata", {{"name", pod}, {"annotations", Annotations(1, "0-1")}}},
               {"spec", {{"containers", {{{"name", "agent"}, {"image", "pricing-agent:dev"}}}}}}};
  ASSERT_TRUE(client->Create(kube::rest::resources::kPods, ns.name(), body).ok());
  // A decoy in the same namespace: the field selector must ignore it.
  body["metadata"]["name"] = "other";
  body["metadata"]["annotations"] = Annotations(9, "4-7");
  ASSERT_TRUE(client->Create(kube::rest::resources::kPods, ns.name(), body).ok());

  const int port = RedisPort();
  const std::string url = "redis://127.0.0.1:" + std::to_string(port);
  const std::string fleet = "api-" + ns.name();
  char tmpl[] = "/tmp/agentfleet-api-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  AgentProcess agent(
      {"--pod-name=" + pod, "--namespace=" + ns.name(), "--fleet=" + fleet, "--shards=8",
       "--lease-store=" + url, "--queue-url=" + url, "--queue-prefix=tasks:" + fleet,
       "--assignment-from-api", "--lease-duration=3s", "--tick=200ms", "--block=100ms",
       "--metrics-bind-address=0"},
      dir + "/agent.log");
  auto store = sources::lease::RedisLeaseStore::Connect(
      sources::redis::Options{.port = static_cast<uint16_t>(port)});
  ASSERT_TRUE(store.ok());
  auto holds = [&](std::set<uint32_t> want) {
    auto snap = (*store)->Snapshot(fleet);
    if (!snap.ok()) return false;
    std::set<uint32_t> got;
    for (const auto& r : snap->records) {
      if (r.ValidAt(snap->now_ms) && r.holder.rfind(pod + "/", 0) == 0) got.insert(r.shard);
    }
    return got == want;
  };
  ASSERT_TRUE(Eventually([&] { return holds({0, 1}); }, 20s)) << agent.Log();

  ASSERT_TRUE(client
                  ->Patch(kube::rest::resources::kPods, ns.name(), pod,
                          kube::rest::PatchType::kJsonMerge,
                          {{"metadata", {{"annotations", Annotations(2, "2-3,6")}}}})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return holds({2, 3, 6}); }, 10s)) << agent.Log();
  // A malformed assignment is reported and changes nothing.
  ASSERT_TRUE(client
                  ->Patch(kube::rest::resources::kPods, ns.name(), pod,
                          kube::rest::PatchType::kJsonMerge,
                          {{"metadata", {{"annotations", Annotations(3, "5-2")}}}})
                  .ok());
  EXPECT_TRUE(Eventually(
      [&] { return agent.Log().find("malformed assignment") != std::string::npos; }, 10s));
  EXPECT_TRUE(holds({2, 3, 6}));

  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0) << agent.Log();
  EXPECT_TRUE(holds({}));
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace agentfleet::agent::testing
