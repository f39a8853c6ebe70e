#include "controller/fleet/reconciler/pod_usage.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

// One item of a PodMetricsList as metrics-server v0.8 answers it.
Json Item(const std::string& name, const std::string& window = "10.005s") {
  return Json::parse(R"({"metadata": {"name": ")" + name + R"(", "namespace": "shop",
    "labels": {"agentfleet.io/fleet": "pricing"}},
    "timestamp": "2026-12-07T23:25:50Z", "window": ")" +
                     window + R"(",
    "containers": [
      {"name": "agent", "usage": {"cpu": "249989316n", "memory": "65536Ki"}},
      {"name": "sidecar", "usage": {"cpu": "1m", "memory": "1Mi"}}]})");
}

TEST(PodUsage, ContainersAreSummedPerPod) {
  const PodSamples s = ParsePodMetrics({Item("pricing-0"), Item("pricing-1", "1m0s")});
  ASSERT_EQ(s.size(), 2u);
  const PodSample& p = s.at("pricing-0");
  EXPECT_EQ(p.cpu_milli, 250 + 1);
  EXPECT_EQ(p.memory, (int64_t{64} << 20) + (int64_t{1} << 20));
  EXPECT_EQ(p.window, std::chrono::milliseconds(10'005));
  EXPECT_EQ(std::chrono::system_clock::to_time_t(p.timestamp), 1796685950);
  EXPECT_EQ(s.at("pricing-1").window, std::chrono::minutes(1));
}

// As the HPA: an item it cannot use leaves that one pod without a sample
// (missing, as a new pod is), never the whole fleet without metrics.
TEST(PodUsage, AnUnusableItemLeavesOnlyItsPodWithoutASample) {
  Json bad_cpu = Item("pricing-2");
  bad_cpu["containers"][0]["usage"]["cpu"] = "lots";
  Json no_containers = Item("pricing-3");
  no_containers["containers"] = Json::array();
  Json no_memory = Item("pricing-4");
  no_memory["containers"][1]["usage"].erase("memory");
  Json no_time = Item("pricing-5");
  no_time["timestamp"] = nullptr;
  Json no_name = Item("x");
  no_name["metadata"].erase("name");
  std::vector<std::string> why;
  const PodSamples s = ParsePodMetrics(
      {Item("pricing-0"), bad_cpu, no_containers, no_memory, no_time, no_name, Json("junk")}, &why);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.contains("pricing-0"));
  ASSERT_EQ(why.size(), 6u);
  EXPECT_EQ(why[0], "pricing-2: cpu \"lots\" is not a quantity: no digits");
  EXPECT_EQ(why[1], "pricing-3: no containers");
  for (const char* window : {"ten seconds", ".", "1..5s", "s", "10", "10x", ""}) {
    EXPECT_TRUE(ParsePodMetrics({Item("pricing-0", window)}).empty()) << window;
  }
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
