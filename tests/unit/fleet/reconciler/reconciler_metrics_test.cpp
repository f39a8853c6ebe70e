// Resource metrics on the unit tier: PodMetrics from metrics.k8s.io (the fake
// API client) decide the count when they ask for more than the queue, their
// figures reach the status, and a metrics API that does not answer holds the
// count and says so.
#include <gtest/gtest.h>

#include "controller/kube/meta/time.h"
#include "tests/unit/fleet/reconciler/reconciler_fixture.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

using kube::rest::resources::kPodMetrics;
using kube::rest::resources::kPods;

class ReconcilerMetricsTest : public ReconcilerFixture {
 protected:
  // examples/fleet-redis.yaml (100m cpu requested per pod) with a 50 % cpu target.
  static Json CpuFleet() {
    Json f = AutoscaledFleet();
    f["spec"]["autoscaling"]["metrics"] = Json::parse(R"([{"type": "Resource",
      "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}])");
    return f;
  }

  std::string Stamp(std::chrono::seconds ago) {
    return kube::meta::FormatTime(clock_.WallNow() - ago);
  }

  // Running and Ready for ten minutes (past the cpu initialization period).
  void Settle(const std::string& pod) {
    auto p = client_.Peek(kPods, kNs, pod);
    ASSERT_TRUE(p.has_value()) << pod;
    (*p)["status"] = {{"phase", "Running"},
                      {"startTime", Stamp(std::chrono::minutes(10))},
                      {"conditions",
                       {{{"type", "Ready"},
                         {"status", "True"},
                         {"lastTransitionTime", Stamp(std::chrono::minutes(9))}}}}};
    client_.Put(kPods, *p);
  }

  // What metrics-server answers for the pod: its one container's usage.
  void Uses(const std::string& pod, const std::string& cpu) {
    client_.Put(
        kPodMetrics,
        {{"apiVersion", "metrics.k8s.io/v1beta1"},
         {"kind", "PodMetrics"},
         {"metadata",
          {{"name", pod}, {"namespace", kNs}, {"labels", {{"agentfleet.io/fleet", kFleet}}}}},
         {"timestamp", Stamp(std::chrono::seconds(5))},
         {"window", "10.005s"},
         {"containers", {{{"name", "agent"}, {"usage", {{"cpu", cpu}, {"memory", "20Mi"}}}}}}});
  }

  // The fleet with its one pod (the queue's 50 tasks), Ready, using `cpu`.
  std::string OnePodUsing(const std::string& cpu) {
    Apply(CpuFleet());
    sources_.queue().SetDepth(50);
    EXPECT_TRUE(PassUntil([&] { return Pods().size() == 1; }));
    const std::string pod = Pods().empty() ? "" : Pods().begin()->first;
    Settle(pod);
    Uses(pod, cpu);
    clock_.Advance(kUsageInterval);  // past the list the fleet's first pod made
    return pod;
  }

  size_t MetricsReads() {
    size_t n = 0;
    for (const auto& c : client_.Calls()) n += c.verb == Verb::kList && c.resource == "pods";
    return n;
  }
};

TEST_F(ReconcilerMetricsTest, CpuAboveItsTargetScalesUpPastTheQueue) {
  // The queue alone wants 1 pod; 200m of 100m requested is 400 % of the 50 % target.
  ASSERT_FALSE(OnePodUsing("200000000n").empty());
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  const Json status = Fleet()["status"];
  EXPECT_EQ(status["desiredReplicas"], 4);
  EXPECT_EQ(status["scalingMetric"], "cpu");
  EXPECT_EQ(status["currentMetrics"], Json::parse(R"([{"type": "Resource", "resource":
    {"name": "cpu", "current": {"averageUtilization": 200, "averageValue": "200m"}}}])"));
  EXPECT_EQ(Condition("ScalingLimited").value("message", ""),
            "queue depth 50 at target 100 per agent recommends 1; cpu at 200% of its requests "
            "(target 50%) recommends 4; scaling up from 1 to 4");
}

// Once per poll interval (5 s in the example), but at most every 15 s, as the
// HPA: more often would mostly find metrics-server's last samples again.
TEST_F(ReconcilerMetricsTest, MetricsAreReadOnceEvery15Seconds) {
  ASSERT_FALSE(OnePodUsing("50m").empty());
  client_.ClearCalls();
  for (int i = 0; i < 10; ++i) Pass();  // pod and status events within the interval
  const size_t within = MetricsReads();
  EXPECT_LE(within, 1u);
  for (int i = 0; i < 2; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_EQ(MetricsReads(), within);
  clock_.Advance(std::chrono::seconds(5));
  for (int i = 0; i < 10; ++i) Pass();
  EXPECT_EQ(MetricsReads(), within + 1);
}

TEST_F(ReconcilerMetricsTest, AMetricsApiThatDoesNotAnswerHoldsTheCountAndSaysSo) {
  ASSERT_FALSE(OnePodUsing("200m").empty());
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  ASSERT_EQ(Fleet()["status"]["desiredReplicas"], 4);
  for (const auto& [name, p] : Pods()) Settle(name);
  client_.AddFault([](const agentfleet::testing::Call& c) -> std::optional<Error> {
    if (c.verb == Verb::kList && c.resource == "pods") {
      return MakeError(ErrorCode::kUnavailable,
                       "503 ServiceUnavailable: the server is currently "
                       "unable to handle the request");
    }
    return std::nullopt;
  });
  for (int i = 0; i < 80; ++i) {  // 400 s: past the scale-down window
    clock_.Advance(std::chrono::seconds(5));
    AgentsAct();
    Pass();
  }
  EXPECT_EQ(Fleet()["status"]["desiredReplicas"], 4);  // the queue alone would say 1
  EXPECT_EQ(Condition("Degraded").value("reason", ""), "ResourceMetricsUnavailable");
  EXPECT_EQ(Condition("Degraded").value("message", ""),
            "cpu: metrics.k8s.io: 503 ServiceUnavailable: the server is currently unable to "
            "handle the request");
  EXPECT_FALSE(Fleet()["status"].contains("currentMetrics"));
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 0u);
}

// The list runs on a reconcile worker: an aggregated API that hangs holds it
// for kUsageDeadline, not for the client's retries.
TEST_F(ReconcilerMetricsTest, AMetricsApiThatHangsHoldsAPassForItsDeadlineOnly) {
  ASSERT_FALSE(OnePodUsing("50m").empty());
  client_.SetLatency(Verb::kList, std::chrono::seconds(30));
  const auto t0 = std::chrono::steady_clock::now();
  Pass();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, kUsageDeadline - std::chrono::milliseconds(100));
  EXPECT_LT(took, kUsageDeadline + std::chrono::seconds(5));
  EXPECT_EQ(Condition("Degraded").value("reason", ""), "ResourceMetricsUnavailable");
  EXPECT_NE(Condition("Degraded").value("message", "").find("cpu: metrics.k8s.io: "),
            std::string::npos);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
