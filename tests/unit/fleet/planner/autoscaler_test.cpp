// The autoscaler against the worked examples of the Kubernetes documentation
// for HorizontalPodAutoscaler (tasks/run-application/horizontal-pod-autoscale,
// sections "Algorithm details" and "Configurable scaling behavior", and the
// autoscaling/v2 API reference of HPAScalingRules), plus KEDA's activation and
// fallback, the pause annotation and manual mode.
//
// Queue depth stands for the metric: with a target of 100 per agent, a depth
// of 100 × n asks for n pods.

#include "controller/fleet/planner/autoscaler.h"

#include <gtest/gtest.h>

#include <random>

namespace agentfleet::fleet::planner {
namespace {

constexpr int64_t kTarget = 100;

Time At(int seconds) {
  return Time{} + std::chrono::hours(24 * 365 * 56) + Seconds(seconds);
}

// Runs passes against one fleet, applying each decision as the next current
// count, as the reconciler does.
struct Fleet {
  AutoscalingPolicy policy;
  AutoscalerState state;
  int32_t current = 0;
  uint32_t shards = 10000;
  bool paused = false;
  std::vector<ResourceReading> resources;

  Fleet(int32_t replicas, int32_t min, int32_t max) : current(replicas) {
    policy.min_replicas = min;
    policy.max_replicas = max;
    policy.target_queue_depth_per_agent = kTarget;
  }

  ScaleDecision Pass(int seconds, std::optional<int64_t> depth, bool read = true) {
    AutoscaleOutcome out = Autoscale({.policy = policy,
                                      .current_replicas = current,
                                      .queue_depth = depth,
                                      .queue_read = read,
                                      .resources = resources,
                                      .paused = paused,
                                      .shards = shards,
                                      .now = At(seconds)},
                                     state);
    state = std::move(out.state);
    EXPECT_EQ(out.decision.current, current);
    current = out.decision.desired;
    return out.decision;
  }
  ScaleDecision PassWanting(int seconds, int32_t pods) { return Pass(seconds, pods * kTarget); }
};

// "Algorithm details": a metric of 200m against a target of 100m doubles the
// replicas (200.0 / 100.0 == 2.0).
TEST(AutoscalerHpaDocs, MetricTwiceTheTargetDoublesTheReplicas) {
  Fleet f(4, 1, 100);
  const ScaleDecision d = f.Pass(0, 4 * 200);
  EXPECT_EQ(d.desired, 8);
  EXPECT_EQ(d.reason, ScaleReason::kScaledUp);
  EXPECT_EQ(d.recommendation, 8);
}

// "Algorithm details": 50m against 100m halves the replicas (50.0 / 100.0 == 0.5).
// Nothing in the stabilization history yet, so the default scale-down applies.
TEST(AutoscalerHpaDocs, MetricHalfTheTargetHalvesTheReplicas) {
  Fleet f(4, 1, 100);
  const ScaleDecision d = f.Pass(0, 4 * 50);
  EXPECT_EQ(d.desired, 2);
  EXPECT_EQ(d.reason, ScaleReason::kScaledDown);
}

// "Algorithm details": the control plane skips any scaling action if the ratio
// is within the tolerance of 1.0 (0.1 by default).
TEST(AutoscalerHpaDocs, RatioWithinToleranceChangesNothing) {
  struct Case {
    int64_t depth;
    int32_t desired;
  };
  for (const Case& c : {Case{1090, 10}, Case{1100, 10}, Case{910, 10}, Case{900, 10},
                        Case{1110, 12}, Case{890, 9}}) {
    Fleet f(10, 1, 100);
    f.policy.behavior.scale_down.stabilization_window_seconds = 0;
    const ScaleDecision d = f.Pass(0, c.depth);
    EXPECT_EQ(d.desired, c.desired) << "depth " << c.depth;
  }
}

// "Scaling policies": Pods 4 per 60 s and Percent 10 per 60 s, selectPolicy Max.
// From 80 to 10: the first step removes 8; at 72, 10 % is 7.2, rounded up to 8;
// below 40 the Pods policy removes 4 at a time. One step per period.
TEST(AutoscalerHpaDocs, PodsFourAndPercentTenPerMinuteFrom80To10) {
  Fleet f(80, 1, 100);
  f.policy.behavior.scale_down.policies = {{ScalingPolicyType::kPods, 4, 60},
                                           {ScalingPolicyType::kPercent, 10, 60}};
  const std::vector<int32_t> expected = {72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10};
  for (size_t minute = 0; minute < expected.size(); ++minute) {
    const int t = static_cast<int>(minute) * 60;
    const ScaleDecision d = f.PassWanting(t, 10);
    EXPECT_EQ(d.desired, expected[minute]) << "minute " << minute;
    if (expected[minute] != 10) {
      EXPECT_EQ(d.reason, ScaleReason::kLimitedByPolicy);
    }
    // Within the same period nothing more may be removed.
    if (minute + 1 < expected.size()) {
      const ScaleDecision again = f.PassWanting(t + 30, 10);
      EXPECT_EQ(again.desired, expected[minute]) << "minute " << minute << " + 30 s";
    }
  }
}

// "Example: limit scale down rate": Percent 10 per 60 s alone.
TEST(AutoscalerHpaDocs, PercentTenPerMinute) {
  Fleet f(100, 1, 200);
  f.policy.behavior.scale_down.policies = {{ScalingPolicyType::kPercent, 10, 60}};
  int minute = 0;
  for (int32_t expected : {90, 81, 72, 64, 57}) {
    EXPECT_EQ(f.PassWanting(minute * 60, 1).desired, expected) << "minute " << minute;
    ++minute;
  }
}

// "Example: limit scale down rate": adding Pods 5 per 60 s with selectPolicy
// Min ensures no more than 5 pods are removed per minute.
TEST(AutoscalerHpaDocs, SelectPolicyMinRemovesNoMoreThanFivePerMinute) {
  Fleet f(100, 1, 200);
  f.policy.behavior.scale_down.policies = {{ScalingPolicyType::kPercent, 10, 60},
                                           {ScalingPolicyType::kPods, 5, 60}};
  f.policy.behavior.scale_down.select_policy = SelectPolicy::kMin;
  int32_t previous = 100;
  for (int minute = 0; minute < 30; ++minute) {
    const ScaleDecision d = f.PassWanting(minute * 60, 1);
    const int32_t removed = previous - d.desired;
    // 10 % of the count is the smaller change once the count is below 50.
    EXPECT_EQ(removed, std::min<int32_t>(5, previous - previous * 90 / 100)) << "minute " << minute;
    previous = d.desired;
  }
}

// "Example: disable scale down": selectPolicy Disabled stops scaling down; up
// still works.
TEST(AutoscalerHpaDocs, DisabledScaleDownNeverRemovesPods) {
  Fleet f(10, 1, 100);
  f.policy.behavior.scale_down.select_policy = SelectPolicy::kDisabled;
  for (int t = 0; t < 3600; t += 15) {
    const ScaleDecision d = f.PassWanting(t, 1);
    ASSERT_EQ(d.desired, 10) << "t=" << t;
    EXPECT_EQ(d.reason, ScaleReason::kLimitedByPolicy);
  }
  EXPECT_EQ(f.PassWanting(3600, 12).desired, 12);
}

// "Stabilization window": with scaleDown.stabilizationWindowSeconds 300 the
// algorithm uses the highest recommendation of the past 5 minutes.
TEST(AutoscalerHpaDocs, ScaleDownUsesHighestRecommendationOfTheWindow) {
  Fleet f(10, 1, 100);
  f.policy.behavior.scale_down.stabilization_window_seconds = 300;
  EXPECT_EQ(f.PassWanting(0, 10).desired, 10);
  const ScaleDecision held = f.PassWanting(60, 4);
  EXPECT_EQ(held.desired, 10);
  EXPECT_EQ(held.reason, ScaleReason::kStabilized);
  EXPECT_EQ(f.PassWanting(120, 6).desired, 10);
  EXPECT_EQ(f.PassWanting(180, 2).desired, 10);
  EXPECT_EQ(f.PassWanting(240, 2).desired, 10);
  // t=300: the recommendation of t=0 leaves the window; the highest left is 6.
  EXPECT_EQ(f.PassWanting(300, 2).desired, 6);
  EXPECT_EQ(f.PassWanting(360, 2).desired, 6);
  EXPECT_EQ(f.PassWanting(420, 2).desired, 2);
}

// "Example: change downscale stabilization window" to 60 s.
TEST(AutoscalerHpaDocs, OneMinuteDownscaleWindow) {
  Fleet f(10, 1, 100);
  f.policy.behavior.scale_down.stabilization_window_seconds = 60;
  EXPECT_EQ(f.PassWanting(0, 10).desired, 10);
  for (int t = 15; t < 60; t += 15) {
    EXPECT_EQ(f.PassWanting(t, 2).desired, 10) << t;
  }
  EXPECT_EQ(f.PassWanting(60, 2).desired, 2);
}

// "Default Behavior", scale up: no stabilization; 4 pods or 100 % may be added
// every 15 s, whichever is more.
TEST(AutoscalerHpaDocs, DefaultScaleUpIsMaxOfFourPodsAndDoublingPer15s) {
  Fleet f(1, 1, 1000);
  const ScaleDecision first = f.PassWanting(0, 100);
  EXPECT_EQ(first.desired, 5);  // +4 beats +100 % of 1
  EXPECT_EQ(first.reason, ScaleReason::kLimitedByPolicy);
  EXPECT_EQ(f.PassWanting(5, 100).desired, 5);  // same 15 s period
  EXPECT_EQ(f.PassWanting(15, 100).desired, 10);
  EXPECT_EQ(f.PassWanting(30, 100).desired, 20);
  EXPECT_EQ(f.PassWanting(45, 100).desired, 40);
  EXPECT_EQ(f.PassWanting(60, 100).desired, 80);
  const ScaleDecision last = f.PassWanting(75, 100);
  EXPECT_EQ(last.desired, 100);
  EXPECT_EQ(last.reason, ScaleReason::kScaledUp);
}

// "Default Behavior", scale down: a 300 s window, then 100 % of the replicas
// may be removed at once (down to the minimum).
TEST(AutoscalerHpaDocs, DefaultScaleDownWaitsFiveMinutesThenDropsAtOnce) {
  Fleet f(100, 3, 1000);
  EXPECT_EQ(f.PassWanting(0, 100).desired, 100);
  for (int t = 15; t < 300; t += 15) {
    EXPECT_EQ(f.PassWanting(t, 1).desired, 100) << t;
  }
  const ScaleDecision d = f.PassWanting(300, 1);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason, ScaleReason::kLimitedByMin);
}

// API reference, HPAScalingRules.stabilizationWindowSeconds: for scale-up the
// lowest recommendation of the window is used.
TEST(AutoscalerHpaDocs, ScaleUpWindowUsesLowestRecommendation) {
  Fleet f(4, 1, 100);
  f.policy.behavior.scale_up.stabilization_window_seconds = 60;
  EXPECT_EQ(f.PassWanting(0, 4).desired, 4);
  const ScaleDecision d = f.PassWanting(15, 10);
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.reason, ScaleReason::kStabilized);
  EXPECT_EQ(f.PassWanting(30, 8).desired, 4);
  EXPECT_EQ(f.PassWanting(60, 9).desired, 8);  // t=0 left the window: min(10, 8, 9)
}

// HPA's replica calculation: above maxReplicas / below minReplicas the count is
// brought back first, whatever the metric says.
TEST(AutoscalerHpaDocs, CountOutsideMinMaxIsBroughtBack) {
  Fleet above(12, 1, 8);
  const ScaleDecision a = above.PassWanting(0, 20);
  EXPECT_EQ(a.desired, 8);
  EXPECT_EQ(a.reason, ScaleReason::kLimitedByMax);
  Fleet below(1, 3, 8);
  const ScaleDecision b = below.PassWanting(0, 0);
  EXPECT_EQ(b.desired, 3);
  EXPECT_EQ(b.reason, ScaleReason::kLimitedByMin);
}

TEST(Autoscaler, LimitedByMaxReplicasAndByShards) {
  Fleet f(5, 1, 8);
  const ScaleDecision d = f.PassWanting(0, 50);
  EXPECT_EQ(d.desired, 8);
  EXPECT_EQ(d.reason, ScaleReason::kLimitedByMax);
  EXPECT_TRUE(IsLimit(d.reason));

  Fleet g(2, 1, 50);
  g.shards = 6;
  const ScaleDecision e = g.PassWanting(0, 50);
  EXPECT_EQ(e.desired, 6);
  EXPECT_EQ(e.reason, ScaleReason::kLimitedByShards);
}

TEST(Autoscaler, PercentPolicyUsesExactIntegerRounding) {
  // float64 HPA computes ceil(10 * 1.1) as 12; +10 % of 10 is 11.
  Fleet f(10, 1, 100);
  f.policy.behavior.scale_up.policies = {{ScalingPolicyType::kPercent, 10, 60}};
  EXPECT_EQ(f.PassWanting(0, 50).desired, 11);
}

// KEDA activation: from zero only when depth > activation; to zero only when
// depth <= activation.
TEST(AutoscalerActivation, StaysAtZeroUntilDepthExceedsActivation) {
  Fleet f(0, 0, 10);
  f.policy.activation_queue_depth = 5;
  const ScaleDecision idle = f.Pass(0, 5);
  EXPECT_EQ(idle.desired, 0);
  EXPECT_EQ(idle.reason, ScaleReason::kBelowActivation);
  EXPECT_EQ(f.Pass(15, 6).desired, 1);
}

TEST(AutoscalerActivation, FromZeroFollowsTheScaleUpPolicies) {
  Fleet f(0, 0, 100);
  const ScaleDecision d = f.PassWanting(0, 50);
  EXPECT_EQ(d.desired, 4);  // +4 pods; +100 % of 0 is nothing
  EXPECT_EQ(d.reason, ScaleReason::kLimitedByPolicy);
}

TEST(AutoscalerActivation, NoWindowOrPolicyHoldsAFleetAtZero) {
  Fleet f(0, 0, 100);
  f.policy.behavior.scale_up.stabilization_window_seconds = 300;
  f.policy.behavior.scale_up.policies = {{ScalingPolicyType::kPercent, 50, 60}};
  EXPECT_EQ(f.Pass(0, 0).desired, 0);
  EXPECT_EQ(f.Pass(15, 1).desired, 1);
}

TEST(AutoscalerActivation, ToZeroOnlyAtOrBelowActivation) {
  Fleet f(1, 0, 10);
  f.policy.activation_queue_depth = 5;
  f.policy.behavior.scale_down.stabilization_window_seconds = 0;
  EXPECT_EQ(f.Pass(0, 6).desired, 1);
  const ScaleDecision d = f.Pass(15, 5);
  EXPECT_EQ(d.desired, 0);
  EXPECT_EQ(d.reason, ScaleReason::kScaledDown);
}

TEST(AutoscalerActivation, MinReplicasAboveZeroIgnoresActivation) {
  Fleet f(2, 1, 10);
  f.policy.activation_queue_depth = 1000;
  f.policy.behavior.scale_down.stabilization_window_seconds = 0;
  EXPECT_EQ(f.Pass(0, 50).desired, 1);
}

TEST(AutoscalerFallback, HoldsUntilTheThresholdThenUsesFallbackReplicas) {
  Fleet f(2, 1, 20);
  f.policy.fallback = FallbackPolicy{.failure_threshold = 3, .replicas = 6};
  for (int t = 0; t < 30; t += 15) {
    const ScaleDecision d = f.Pass(t, std::nullopt);
    EXPECT_EQ(d.desired, 2);
    EXPECT_EQ(d.reason, ScaleReason::kSourceError);
  }
  const ScaleDecision d = f.Pass(30, std::nullopt);
  EXPECT_EQ(d.desired, 6);
  EXPECT_EQ(d.reason, ScaleReason::kFallback);
  EXPECT_EQ(f.state.consecutive_failures, 3);
  // The source recovers: the failure count resets.
  f.PassWanting(45, 6);
  EXPECT_EQ(f.state.consecutive_failures, 0);
}

TEST(AutoscalerFallback, OnlyFailedReadsCount) {
  Fleet f(2, 1, 20);
  f.policy.fallback = FallbackPolicy{.failure_threshold = 2, .replicas = 6};
  f.Pass(0, std::nullopt);
  for (int i = 0; i < 5; ++i) f.Pass(1, std::nullopt, /*read=*/false);  // within the backoff
  EXPECT_EQ(f.state.consecutive_failures, 1);
  EXPECT_EQ(f.Pass(2, std::nullopt).reason, ScaleReason::kFallback);
}

TEST(AutoscalerFallback, NeverScalesDownBecauseAReadFailed) {
  Fleet f(10, 1, 20);
  f.policy.fallback = FallbackPolicy{.failure_threshold = 1, .replicas = 2};
  f.policy.behavior.scale_down.stabilization_window_seconds = 0;
  for (int t = 0; t < 3600; t += 15) {
    const ScaleDecision d = f.Pass(t, std::nullopt);
    ASSERT_EQ(d.desired, 10) << "t=" << t;
    EXPECT_EQ(d.reason, ScaleReason::kFallback);
  }
}

TEST(AutoscalerFallback, WithoutFallbackAFailedReadHoldsTheCount) {
  Fleet f(7, 0, 20);
  for (int t = 0; t < 600; t += 15) ASSERT_EQ(f.Pass(t, std::nullopt).desired, 7);
  EXPECT_EQ(f.state.consecutive_failures, 40);
}

// Random walks of depths, read failures and policies: on every failed read
// the count is at least the count before it.
TEST(AutoscalerFallback, RandomSequencesNeverScaleDownOnAFailedRead) {
  for (uint32_t seed = 1; seed <= 2000; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    Fleet f(pick(0, 30), pick(0, 3), pick(4, 40));
    f.policy.activation_queue_depth = pick(0, 50);
    if (pick(0, 1)) f.policy.fallback = FallbackPolicy{pick(1, 4), pick(0, 40)};
    f.policy.behavior.scale_down.stabilization_window_seconds = pick(0, 1) ? 0 : 60;
    int t = 0;
    for (int step = 0; step < 60; ++step) {
      t += pick(1, 30);
      const bool fail = pick(0, 2) == 0;
      const int32_t before = f.current;
      const ScaleDecision d =
          f.Pass(t, fail ? std::nullopt : std::optional<int64_t>(pick(0, 5000)));
      if (fail && before <= std::min(f.policy.max_replicas, static_cast<int32_t>(f.shards))) {
        ASSERT_GE(d.desired, before) << "seed " << seed << " step " << step << ": " << d.message;
      }
    }
  }
}

TEST(Autoscaler, PausedHoldsTheCountAndRecordsNothing) {
  Fleet f(4, 1, 20);
  f.PassWanting(0, 4);
  const AutoscalerState before = f.state;
  f.paused = true;
  const ScaleDecision d = f.PassWanting(15, 20);
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.reason, ScaleReason::kPaused);
  EXPECT_EQ(f.state, before);
}

TEST(Autoscaler, ManualModePassesSpecReplicasThroughClampedToShards) {
  AutoscaleOutcome out =
      Autoscale({.manual_replicas = 7, .current_replicas = 3, .shards = 100, .now = At(0)}, {});
  EXPECT_EQ(out.decision.desired, 7);
  EXPECT_EQ(out.decision.reason, ScaleReason::kManual);
  out = Autoscale({.manual_replicas = 7, .current_replicas = 3, .shards = 5, .now = At(0)}, {});
  EXPECT_EQ(out.decision.desired, 5);
  EXPECT_EQ(out.decision.reason, ScaleReason::kLimitedByShards);
}

TEST(Autoscaler, StateStaysSmall) {
  Fleet f(5, 1, 50);
  for (int t = 0; t < 24 * 3600; t += 5) f.Pass(t, (t / 600 % 7) * 300);
  // 300 s window at 5 s passes, and events within the 15 s policy period.
  EXPECT_LE(f.state.recommendations.size(), 61u);
  EXPECT_LE(f.state.scale_up_events.size(), 3u);
  EXPECT_LE(f.state.scale_down_events.size(), 3u);
}

ResourceReading Cpu(int32_t replicas, int32_t utilization = 90) {
  return {ResourceName::kCpu, ResourceRecommendation{replicas, 90, utilization}};
}
ResourceReading Unreadable(ResourceName name) {
  return {name, MakeError(ErrorCode::kUnavailable, "metrics.k8s.io: 503 ServiceUnavailable")};
}

Fleet WithCpuAndMemory(int32_t replicas) {
  Fleet f(replicas, 1, 20);
  f.policy.resources = {{ResourceName::kCpu, {.average_utilization = 70}},
                        {ResourceName::kMemory, {.average_value = 512}}};
  f.policy.behavior.scale_down.stabilization_window_seconds = 0;
  return f;
}

// HPA docs, "Algorithm details": with several metrics the largest desired count wins.
TEST(AutoscalerMetrics, TheLargestRecommendationWins) {
  Fleet f = WithCpuAndMemory(2);
  f.resources = {Cpu(5), {ResourceName::kMemory, ResourceRecommendation{3, 700, {}}}};
  ScaleDecision d = f.PassWanting(0, 2);
  EXPECT_EQ(d.desired, 5);
  EXPECT_EQ(d.metric, "cpu");
  EXPECT_EQ(d.message,
            "queue depth 200 at target 100 per agent recommends 2; cpu at 90% of its requests "
            "(target 70%) recommends 5; memory at 700 bytes per pod (target 512 bytes) "
            "recommends 3; scaling up from 2 to 5");
  f.resources = {Cpu(5), {ResourceName::kMemory, ResourceRecommendation{3, 700, {}}}};
  d = f.PassWanting(15, 9);
  EXPECT_EQ(d.desired, 9);
  EXPECT_EQ(d.metric, "queue");
}

TEST(AutoscalerMetrics, MemoryDecidesWhenItAsksForMost) {
  Fleet f = WithCpuAndMemory(2);
  f.resources = {Cpu(3), {ResourceName::kMemory, ResourceRecommendation{6, 900, {}}}};
  const ScaleDecision d = f.PassWanting(0, 2);
  EXPECT_EQ(d.desired, 6);
  EXPECT_EQ(d.metric, "memory");
  EXPECT_EQ(d.reason, ScaleReason::kScaledUp);
}

// "If any of these metrics cannot be converted into a desired replica count
// ... and the others suggest a scale down, scaling is skipped."
TEST(AutoscalerMetrics, AnUnreadableMetricAllowsUpButNotDown) {
  Fleet f = WithCpuAndMemory(6);
  f.resources = {Cpu(2), Unreadable(ResourceName::kMemory)};
  ScaleDecision d = f.PassWanting(0, 1);
  EXPECT_EQ(d.desired, 6);
  EXPECT_EQ(d.reason, ScaleReason::kSourceError);
  EXPECT_EQ(d.metric, "");
  EXPECT_EQ(d.message.rfind("memory unavailable: metrics.k8s.io: 503 ServiceUnavailable; queue "
                            "depth 100 at target 100 per agent recommends 1",
                            0),
            0u)
      << d.message;
  d = f.PassWanting(15, 10);
  EXPECT_EQ(d.desired, 10);
  EXPECT_EQ(d.metric, "queue");
}

TEST(AutoscalerMetrics, WithoutTheQueueTheResourcesStillScaleUpButNeverDown) {
  Fleet f = WithCpuAndMemory(4);
  f.resources = {Cpu(7), Cpu(1)};
  ScaleDecision d = f.Pass(0, std::nullopt);
  EXPECT_EQ(d.desired, 7);
  EXPECT_EQ(d.metric, "cpu");
  f.resources = {Cpu(2), Cpu(1)};
  d = f.Pass(15, std::nullopt);
  EXPECT_EQ(d.desired, 7);
  EXPECT_EQ(d.reason, ScaleReason::kSourceError);
}

TEST(AutoscalerMetrics, FallbackTakesTheLargerOfItsCountAndTheResources) {
  Fleet f = WithCpuAndMemory(2);
  f.policy.fallback = FallbackPolicy{.failure_threshold = 1, .replicas = 4};
  f.resources = {Cpu(6), Cpu(1)};
  ScaleDecision d = f.Pass(0, std::nullopt);
  EXPECT_EQ(d.desired, 6);
  EXPECT_EQ(d.reason, ScaleReason::kScaledUp);
  EXPECT_EQ(d.metric, "cpu");
  f.resources = {Cpu(2), Cpu(1)};
  d = f.Pass(15, std::nullopt);
  EXPECT_EQ(d.desired, 6);  // the fallback's 4 is below: never down on a failed read
  EXPECT_EQ(d.reason, ScaleReason::kFallback);
  EXPECT_EQ(d.metric, "");
}

// With no pod there is nothing to measure: the queue alone wakes a fleet,
// and the queue alone takes it to zero.
TEST(AutoscalerMetrics, ZeroIsTheQueuesAlone) {
  Fleet f = WithCpuAndMemory(0);
  f.policy.min_replicas = 0;
  f.resources = {Unreadable(ResourceName::kCpu), Unreadable(ResourceName::kMemory)};
  EXPECT_EQ(f.PassWanting(0, 3).desired, 3);
  f.resources = {Cpu(8), Unreadable(ResourceName::kMemory)};
  const ScaleDecision d = f.Pass(15, 0);
  EXPECT_EQ(d.desired, 0);
  EXPECT_EQ(d.metric, "queue");
}

}  // namespace
}  // namespace agentfleet::fleet::planner
