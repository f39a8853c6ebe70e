#include "controller/fleet/planner/resource_metrics.h"

#include <gtest/gtest.h>

#include <limits>

namespace agentfleet::fleet::planner {
namespace {

constexpr int64_t kMi = 1024 * 1024;
const Time kNow = Time{} + std::chrono::hours(1000);

// A Running, Ready pod started 10 minutes ago (past the cpu initialization
// period), with a fresh sample.
PodUsage Pod(const std::string& name, std::optional<int64_t> usage, int64_t request = 100) {
  PodUsage p;
  p.name = name;
  p.ready = true;
  p.started = kNow - std::chrono::minutes(10);
  p.ready_transition = kNow - std::chrono::minutes(9);
  p.request = request;
  p.usage = usage;
  p.sampled = kNow - std::chrono::seconds(5);
  return p;
}

ResourceMetric Cpu(int32_t utilization) {
  return {ResourceName::kCpu, {.average_utilization = utilization}};
}

Result<ResourceRecommendation> Recommend(const ResourceMetric& m, int32_t current,
                                         const std::vector<PodUsage>& pods) {
  return RecommendForResource(m, current, pods, ResourceTuning{}, kNow);
}

int32_t Replicas(const ResourceMetric& m, int32_t current, const std::vector<PodUsage>& pods) {
  auto r = Recommend(m, current, pods);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r->replicas : -1;
}

// HPA docs, "Algorithm details": twice the target doubles the replicas, half halves them.
TEST(ResourceMetrics, TwiceTheTargetDoublesHalfHalves) {
  std::vector<PodUsage> hot, cold;
  for (int i = 0; i < 4; ++i) {
    hot.push_back(Pod("p" + std::to_string(i), 200));
    cold.push_back(Pod("p" + std::to_string(i), 50));
  }
  EXPECT_EQ(Replicas(Cpu(100), 4, hot), 8);
  EXPECT_EQ(Replicas(Cpu(100), 4, cold), 2);
}

// HPA walkthrough (php-apache): one pod at 305 % of its request against a 50 % target -> 7.
TEST(ResourceMetrics, TheWalkthroughsPhpApacheGoesToSeven) {
  auto r = Recommend(Cpu(50), 1, {Pod("php-apache", 610, 200)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 7);
  EXPECT_EQ(r->average_utilization, 305);
  EXPECT_EQ(r->average_value, 610);
}

TEST(ResourceMetrics, WithinTheToleranceTheCountStays) {
  EXPECT_EQ(Replicas(Cpu(100), 3, {Pod("a", 105), Pod("b", 105), Pod("c", 105)}), 3);
  EXPECT_EQ(Replicas(Cpu(100), 3, {Pod("a", 112), Pod("b", 112), Pod("c", 112)}), 4);
}

// "Missing metrics": on a scale-up the pods without a sample count as 0 %.
TEST(ResourceMetrics, MissingPodsCountAsIdleOnAScaleUp) {
  // Measured pods at 100 % of a 50 % target; with the two unmeasured at 0 the
  // average is the target: no change.
  EXPECT_EQ(Replicas(Cpu(50), 4, {Pod("a", 100), Pod("b", 100), Pod("c", {}), Pod("d", {})}), 4);
  EXPECT_EQ(Replicas(Cpu(50), 4, {Pod("a", 200), Pod("b", 200), Pod("c", {}), Pod("d", {})}), 8);
}

// On a scale-down they count as at least the target (100 % of their request
// here), and a second ratio on the other side of 1 keeps the count.
TEST(ResourceMetrics, MissingPodsCountAsBusyOnAScaleDown) {
  EXPECT_EQ(Replicas(Cpu(50), 4, {Pod("a", 10), Pod("b", 10), Pod("c", {}), Pod("d", {})}), 4);
  EXPECT_EQ(Replicas(Cpu(50), 2, {Pod("a", 10), Pod("b", 10)}), 1);  // the same two, measured alone
  // A target above 100 %: missing pods count at the target, not at 100 %.
  EXPECT_EQ(Replicas(Cpu(200), 4, {Pod("a", 20), Pod("b", 20), Pod("c", {}), Pod("d", {})}), 3);
}

// Unready pods: left out, except that on a scale-up they count as 0 %.
TEST(ResourceMetrics, UnreadyPodsHoldBackAScaleUpAndAreLeftOutOfAScaleDown) {
  PodUsage pending = Pod("c", {});
  pending.pending = true;
  PodUsage pending2 = pending;
  pending2.name = "d";
  EXPECT_EQ(Replicas(Cpu(50), 4, {Pod("a", 100), Pod("b", 100), pending, pending2}), 4);
  EXPECT_EQ(Replicas(Cpu(50), 4, {Pod("a", 10), Pod("b", 10), pending, pending2}), 1);
}

TEST(ResourceMetrics, CpuOfAStartingPodIsLeftOut) {
  PodUsage starting = Pod("b", 400);
  starting.started = kNow - std::chrono::seconds(60);
  starting.ready = false;
  starting.ready_transition = kNow - std::chrono::seconds(60);
  // Its 400 % would ask for more; left out, a at 50 % of a 50 % target stays.
  EXPECT_EQ(Replicas(Cpu(50), 2, {Pod("a", 50), starting}), 2);
  // Ready, but the sample may cover the time before it was: still left out.
  starting.ready = true;
  starting.ready_transition = kNow - std::chrono::seconds(20);
  EXPECT_EQ(Replicas(Cpu(50), 2, {Pod("a", 50), starting}), 2);
  // Ready for longer than a window before the sample: counted.
  starting.ready_transition = kNow - std::chrono::seconds(40);
  EXPECT_EQ(Replicas(Cpu(50), 2, {Pod("a", 50), starting}), 9);  // 225 % of 50 %: ceil(4.5 * 2)
}

TEST(ResourceMetrics, MemoryIsCountedWhateverTheReadiness) {
  PodUsage starting = Pod("b", 400 * kMi, 100 * kMi);
  starting.started = kNow - std::chrono::seconds(60);
  starting.ready = false;
  const ResourceMetric memory{ResourceName::kMemory, {.average_utilization = 100}};
  EXPECT_EQ(Replicas(memory, 2, {Pod("a", 100 * kMi, 100 * kMi), starting}), 5);
}

TEST(ResourceMetrics, DeletedAndFailedPodsAreLeftOut) {
  PodUsage leaving = Pod("b", 1000);
  leaving.deleting = true;
  PodUsage failed = Pod("c", 1000);
  failed.failed = true;
  EXPECT_EQ(Replicas(Cpu(100), 1, {Pod("a", 100), leaving, failed}), 1);
}

// Kubernetes #117845: at exactly the target, a pod without a sample yet must
// not pull the average down and the fleet with it.
TEST(ResourceMetrics, AMissingPodAtExactlyTheTargetChangesNothing) {
  const ResourceMetric cpu{ResourceName::kCpu, {.average_value = 500}};
  EXPECT_EQ(Replicas(cpu, 4, {Pod("a", 500), Pod("b", 500), Pod("c", 500), Pod("d", {})}), 4);
  EXPECT_EQ(Replicas(Cpu(50), 4, {Pod("a", 50), Pod("b", 50), Pod("c", 50), Pod("d", {})}), 4);
}

// A request of 100 bytes and gigabytes used: the percent does not wrap, the
// count asks for the most there is (the autoscaler clamps to maxReplicas).
TEST(ResourceMetrics, AbsurdRatiosDoNotOverflow) {
  std::vector<PodUsage> tiny, large;
  for (int i = 0; i < 30; ++i) {
    tiny.push_back(Pod("p" + std::to_string(i), 2'200'000'000, 100));
    large.push_back(Pod("p" + std::to_string(i), 100 * kMi));
  }
  const ResourceMetric memory{ResourceName::kMemory, {.average_utilization = 80}};
  auto r = Recommend(memory, 30, tiny);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->average_utilization, std::numeric_limits<int32_t>::max());
  EXPECT_GT(r->replicas, 800'000'000);  // from the clamped percent, far above any maxReplicas
  const ResourceMetric value{ResourceName::kMemory, {.average_value = 1}};
  EXPECT_EQ(Replicas(value, 30, large), std::numeric_limits<int32_t>::max());
}

TEST(ResourceMetrics, AnAverageValueNeedsNoRequest) {
  const ResourceMetric memory{ResourceName::kMemory, {.average_value = 100 * kMi}};
  std::vector<PodUsage> pods;
  for (const char* n : {"a", "b", "c"}) {
    pods.push_back(Pod(n, 150 * kMi));
    pods.back().request.reset();
  }
  auto r = Recommend(memory, 3, pods);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 5);  // ceil(1.5 * 3)
  EXPECT_EQ(r->average_value, 150 * kMi);
  EXPECT_FALSE(r->average_utilization);
}

TEST(ResourceMetrics, AUtilizationWithoutARequestIsAnErrorNamingThePod) {
  PodUsage bare = Pod("agent-1", 100);
  bare.request.reset();
  auto r = Recommend(Cpu(50), 2, {Pod("agent-0", 100), bare});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pod agent-1 has a container without a cpu request");
}

TEST(ResourceMetrics, NoSampleOfAReadyPodIsUnavailable) {
  PodUsage pending = Pod("b", {});
  pending.pending = true;
  auto r = Recommend(Cpu(50), 2, {Pod("a", {}), pending});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);  // not yet: not a fault
  EXPECT_EQ(r.error().message,
            "no cpu sample of a Ready pod yet (1 without a sample, 1 not Ready)");
}

TEST(ResourceMetrics, ATargetNeedsExactlyOneValue) {
  EXPECT_FALSE(Recommend({ResourceName::kCpu, {}}, 1, {Pod("a", 1)}).ok());
  EXPECT_FALSE(Recommend({ResourceName::kCpu, {.average_utilization = 50, .average_value = 5}}, 1,
                         {Pod("a", 1)})
                   .ok());
  EXPECT_FALSE(Recommend(Cpu(0), 1, {Pod("a", 1)}).ok());
}

}  // namespace
}  // namespace agentfleet::fleet::planner
