// cpu from the real metrics-server decides a fleet's size. kwok plays the
// kubelets and gives each agent pod the cpu its annotation says
// (kwok.x-k8s.io/usage-cpu), metrics-server scrapes kwok and serves
// PodMetrics through the aggregation layer, and the operator lists them with
// its own RBAC: 150m used of 100m requested against a 50 % target asks for
// three times the pods the empty queue wants; 10m brings the fleet back.
#include "tests/e2e/fleet/fleet_harness.h"

namespace agentfleet {
namespace {

class ResourceMetricsE2E : public FleetE2E {
 protected:
  Json Status() {
    auto f = client_->Get(kPricingAgentFleets, ns(), "pricing");
    return f && f->contains("status") && (*f)["status"].is_object() ? (*f)["status"]
                                                                    : Json::object();
  }
  void SetUsage(const std::string& annotation, const std::string& usage) {
    for (const auto& p : LivePods()) {
      (void)client_->Patch(kPods, ns(), p.name, kube::rest::PatchType::kJsonMerge,
                           {{"metadata", {{"annotations", {{annotation, usage}}}}}});
    }
  }
  void SetCpu(const std::string& usage) { SetUsage("kwok.x-k8s.io/usage-cpu", usage); }
};

TEST_F(ResourceMetricsE2E, CpuAboveItsTargetGrowsTheFleetAndBelowItShrinksIt) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();  // 1..4 pods, poll 1 s, scale-down window 8 s; no tasks: the queue wants 1
  f["spec"]["autoscaling"]["metrics"] = Json::parse(R"([{"type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}])");
  f["spec"]["template"]["metadata"]["annotations"]["kwok.x-k8s.io/usage-cpu"] = "150m";
  ASSERT_EQ(f["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"], "100m");
  auto created = client_->Create(kPricingAgentFleets, ns(), f);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  StartController(false);
  StartKubelet();
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };

  // metrics-server reports a pod two or three 10-s scrapes after it runs, and
  // the pods a scale-up adds count as idle until then: up in steps.
  Json status;
  ASSERT_TRUE(Eventually(
      [&] {
        status = Status();
        return status.value("desiredReplicas", 0) == 4 && LivePods().size() == 4;
      },
      180s))
      << status.dump() << Diagnostics();
  const double up = since();
  EXPECT_EQ(status.value("scalingMetric", ""), "cpu");
  ASSERT_TRUE(status.contains("currentMetrics")) << status.dump();
  const Json cpu = status["currentMetrics"][0]["resource"];
  EXPECT_EQ(cpu["name"], "cpu");
  EXPECT_GE(cpu["current"].value("averageUtilization", 0), 100) << cpu.dump();

  SetCpu("10m");
  ASSERT_TRUE(Eventually(
      [&] {
        status = Status();
        return status.value("desiredReplicas", 0) == 1;
      },
      180s))
      << status.dump() << Diagnostics();
  std::cout << "cpu-driven scale: 1 -> 4 pods in " << up << " s, back to 1 after another "
            << since() - up << " s (metrics-server at 10 s resolution)\n";
}

// Two resource metrics: the larger recommendation wins, whichever it is. cpu
// idles (10m of 100m against 50 %: one pod), memory does not (80Mi per pod
// against an average of 32Mi: three pods, then four), so memory decides.
TEST_F(ResourceMetricsE2E, MemoryDecidesWhenItAsksForMoreThanCpu) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();
  f["spec"]["autoscaling"]["metrics"] = Json::parse(R"([
    {"type": "Resource",
     "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
    {"type": "Resource",
     "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "32Mi"}}}])");
  f["spec"]["template"]["metadata"]["annotations"]["kwok.x-k8s.io/usage-cpu"] = "10m";
  f["spec"]["template"]["metadata"]["annotations"]["kwok.x-k8s.io/usage-memory"] = "80Mi";
  auto created = client_->Create(kPricingAgentFleets, ns(), f);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  StartController(false);
  StartKubelet();

  Json status;
  ASSERT_TRUE(Eventually(
      [&] {
        status = Status();
        return status.value("desiredReplicas", 0) == 4 && LivePods().size() == 4;
      },
      180s))
      << status.dump() << Diagnostics();
  EXPECT_EQ(status.value("scalingMetric", ""), "memory") << status.dump();
  bool saw_memory = false;
  for (const auto& m : status.value("currentMetrics", Json::array())) {
    if (m.contains("resource") && m["resource"].value("name", "") == "memory") {
      saw_memory = true;
      EXPECT_TRUE(m["resource"]["current"].contains("averageValue")) << m.dump();
    }
  }
  EXPECT_TRUE(saw_memory) << status.dump();

  // What the operator's PodMetrics read costs per pass (it lists once per
  // kUsageInterval at most): the aggregator, metrics-server, 4 pods.
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const auto t = std::chrono::steady_clock::now();
    auto list = client_->List(kube::rest::resources::kPodMetrics, ns(),
                              {.label_selector = "agentfleet.io/fleet=pricing"});
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    ASSERT_TRUE(list.ok()) << list.error().ToString();
  }
  std::sort(ms.begin(), ms.end());
  std::cout << "PodMetrics list of 4 pods through the aggregation layer: median " << ms[10]
            << " ms, max " << ms.back() << " ms (21 lists)\n";

  SetUsage("kwok.x-k8s.io/usage-memory", "8Mi");
  ASSERT_TRUE(Eventually([&] { return Status().value("desiredReplicas", 0) == 1; }, 180s))
      << Status().dump() << Diagnostics();
}

}  // namespace
}  // namespace agentfleet
