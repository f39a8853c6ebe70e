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
  auto s = ParsePodMetrics({Item("pricing-0"), Item("pricing-1", "1m0s")});
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 2u);
  const PodSample& p = s->at("pricing-0");
  EXPECT_EQ(p.cpu_milli, 250 + 1);
  EXPECT_EQ(p.memory, (int64_t{64} << 20) + (int64_t{1} << 20));
  EXPECT_EQ(p.window, std::chrono::milliseconds(10'005));
  EXPECT_EQ(std::chrono::system_clock::to_time_t(p.timestamp), 1796685950);
  EXPECT_EQ(s->at("pricing-1").window, std::chrono::minutes(1));
}

TEST(PodUsage, AMalformedItemIsAnErrorNamingThePod) {
  Json bad = Item("pricing-2");
  bad["containers"][0]["usage"]["cpu"] = "lots";
  auto s = ParsePodMetrics({Item("pricing-0"), bad});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "metrics.k8s.io answered a malformed PodMetrics pricing-2: cpu \"lots\" is not a "
            "quantity: no digits");
  for (const char* window : {"ten seconds", ".", "1..5s", "s", "10", "10x", ""}) {
    EXPECT_FALSE(ParsePodMetrics({Item("pricing-0", window)}).ok()) << window;
  }
  Json no_name = Item("x");
  no_name["metadata"].erase("name");
  EXPECT_FALSE(ParsePodMetrics({no_name}).ok());
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
