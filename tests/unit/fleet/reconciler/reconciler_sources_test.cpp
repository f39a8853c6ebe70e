// Queue and lease-store faults on the unit tier: Degraded as the planner
// decides it, the fallback, nothing deleted because a source failed, and
// sources reopened only when their settings or Secrets change.
#include <gtest/gtest.h>

#include "tests/unit/fleet/reconciler/reconciler_fixture.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

using kube::controller::ReconcileResult;

class ReconcilerSourcesTest : public ReconcilerFixture {
 protected:
  std::string Degraded() { return Condition("Degraded").value("reason", ""); }
};

TEST_F(ReconcilerSourcesTest, AFailedDepthReadIsQueueDepthUnavailable) {
  Apply(AutoscaledFleet());
  sources_.queue().Fail(MakeError(ErrorCode::kTimeout, "no answer within 2s"));
  auto r = Pass();
  EXPECT_EQ(r.kind(), ReconcileResult::Kind::kRequeueAfter);  // a source fault is no API error
  EXPECT_EQ(Degraded(), "QueueDepthUnavailable");
  EXPECT_EQ(Condition("Degraded").value("message", ""), "queue depth: no answer within 2s");
}

TEST_F(ReconcilerSourcesTest, ASourceThatCannotBeOpenedNamesWhy) {
  Apply(ManualFleet(1, 4));
  sources_.FailQueueOpen(MakeError(ErrorCode::kForbidden, "NOAUTH refused"));
  sources_.FailLeaseOpen(MakeError(ErrorCode::kUnavailable, "connection refused"));
  Pass();
  EXPECT_EQ(Degraded(), "QueueSourceAccessDenied");  // the queue decides the reason
  sources_.FailQueueOpen(std::nullopt);
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_EQ(Degraded(), "LeaseStoreUnavailable");
  EXPECT_EQ(Condition("Degraded").value("message", ""), "connection refused");
}

TEST_F(ReconcilerSourcesTest, AMissingSecretIsNotFoundAndNeverLeaksAValue) {
  Apply(ManualFleet(1, 4));
  client_.Remove(kube::rest::resources::kSecrets, kNs, "pricing-redis");
  Pass();
  EXPECT_EQ(Degraded(), "QueueSourceNotFound");
  EXPECT_NE(Condition("Degraded").value("message", "").find("Secret shop/pricing-redis not found"),
            std::string::npos);
}

TEST_F(ReconcilerSourcesTest, BothFaultsAreInTheMessageTheQueueDecidesTheReason) {
  Apply(ManualFleet(1, 4));
  sources_.queue().Fail(MakeError(ErrorCode::kUnavailable, "reset"));
  sources_.leases().FailSnapshots(MakeError(ErrorCode::kTimeout, "slow"));
  Pass();
  EXPECT_EQ(Degraded(), "QueueDepthUnavailable");
  EXPECT_EQ(Condition("Degraded").value("message", ""), "queue depth: reset; lease table: slow");
  EXPECT_EQ(Condition("Ready").value("status", ""), "False");
}

TEST_F(ReconcilerSourcesTest, FallbackAfterConsecutiveFailuresNeverScalesDown) {
  Json f = AutoscaledFleet();  // fallback: 3 failures -> 4 replicas
  Apply(f);
  sources_.queue().SetDepth(800);  // 8 agents, reached through the scale-up policies
  ASSERT_TRUE(PassUntil([&] { return Fleet()["status"]["desiredReplicas"] == 8; }, 60));
  sources_.queue().Fail(MakeError(ErrorCode::kUnavailable, "down"));
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_EQ(Fleet()["status"]["desiredReplicas"], 8);  // fallback 4 < 8: kept
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 0u);
}

TEST_F(ReconcilerSourcesTest, FallbackRaisesASmallFleet) {
  Apply(AutoscaledFleet());
  sources_.queue().SetDepth(50);
  Pass();
  ASSERT_EQ(Fleet()["status"]["desiredReplicas"], 1);
  sources_.queue().Fail(MakeError(ErrorCode::kUnavailable, "down"));
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_EQ(Fleet()["status"]["desiredReplicas"], 4);
  EXPECT_EQ(Degraded(), "QueueDepthUnavailable");
}

// failureThreshold counts failed reads, not passes: pod and status events
// bring many passes within one backoff, none of them reading the queue.
TEST_F(ReconcilerSourcesTest, PassesThatDoNotReadTheQueueDoNotCountTowardsTheFallback) {
  Apply(AutoscaledFleet());  // fallback: 3 failures -> 4 replicas
  sources_.queue().SetDepth(50);
  Pass();
  ASSERT_EQ(Fleet()["status"]["desiredReplicas"], 1);
  sources_.queue().Fail(MakeError(ErrorCode::kUnavailable, "down"));
  for (int i = 0; i < 10; ++i) Pass();  // one read, nine passes within its backoff
  EXPECT_EQ(Fleet()["status"]["desiredReplicas"], 1);
  clock_.Advance(std::chrono::seconds(1));
  Pass();  // the second read
  EXPECT_EQ(Fleet()["status"]["desiredReplicas"], 1);
  clock_.Advance(std::chrono::seconds(2));
  Pass();  // the third
  EXPECT_EQ(Fleet()["status"]["desiredReplicas"], 4);
}

TEST_F(ReconcilerSourcesTest, WithoutTheLeaseTableNothingIsDeletedBeforeTheDrainTimeout) {
  Json f = ManualFleet(2, 8);
  Apply(f);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Condition("Ready").value("status", "") == "True";
  }));
  sources_.leases().FailSnapshots(MakeError(ErrorCode::kUnavailable, "down"));
  Apply(ManualFleet(1, 8));
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_EQ(Pods().count("pricing-1"), 1u);
  EXPECT_EQ(Degraded(), "LeasesUnavailable");
  EXPECT_EQ(Condition("Ready").value("status", ""), "Unknown");
}

TEST_F(ReconcilerSourcesTest, SourcesAreReopenedOnlyWhenTheirSettingsOrSecretsChange) {
  Apply(ManualFleet(1, 4));
  Pass();
  Pass();
  EXPECT_EQ(sources_.queue_opens(), 1);
  EXPECT_EQ(sources_.lease_opens(), 1);
  Json secret = *client_.Peek(kube::rest::resources::kSecrets, kNs, "pricing-redis");
  secret["data"]["password"] = "cm90YXRlZA==";  // "rotated"
  client_.Put(kube::rest::resources::kSecrets, secret);
  clock_.Advance(std::chrono::seconds(300));  // read again once per refresh interval
  Pass();
  EXPECT_EQ(sources_.queue_opens(), 2);
  auto config = sources_.last_lease_config();
  ASSERT_TRUE(config.has_value());
  Json f = ManualFleet(1, 4);
  f["spec"]["replicas"] = 1;
  f["metadata"]["labels"]["x"] = "y";  // not a source setting
  Apply(f);
  Pass();
  EXPECT_EQ(sources_.queue_opens(), 2);
}

TEST_F(ReconcilerSourcesTest, SourceErrorsAreCounted) {
  Apply(ManualFleet(1, 4));
  sources_.leases().FailSnapshots(MakeError(ErrorCode::kUnavailable, "down"));
  Pass();
  Pass();  // within the backoff: the same fault, not read again, not counted again
  clock_.Advance(std::chrono::seconds(1));
  Pass();
  const std::string text = registry_.Render();
  EXPECT_NE(text.find("agentfleet_source_errors_total{namespace=\"shop\",fleet=\"pricing\","
                      "source=\"leases\"} 2"),
            std::string::npos)
      << text;
}

TEST_F(ReconcilerSourcesTest, ASourceThatDoesNotAnswerIsReadWithBackoff) {
  Apply(ManualFleet(1, 4));
  sources_.queue().Fail(MakeError(ErrorCode::kTimeout, "no answer within 2s"));
  sources_.leases().FailSnapshots(MakeError(ErrorCode::kTimeout, "no answer within 2s"));
  const int queue0 = sources_.queue().reads(), leases0 = sources_.leases().snapshots();
  // A pass every 500 ms for 70 s: reads at 0, 1, 3, 7, 15, 31 and 61 s only.
  for (int i = 0; i < 140; ++i) {
    Pass();
    EXPECT_EQ(Degraded(), "QueueDepthUnavailable") << "pass " << i;
    EXPECT_EQ(Condition("Degraded").value("message", ""),
              "queue depth: no answer within 2s; lease table: no answer within 2s");
    clock_.Advance(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(sources_.queue().reads() - queue0, 7);
  EXPECT_EQ(sources_.leases().snapshots() - leases0, 7);
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 0u);

  // Back: read at the next attempt, then at every pass again.
  sources_.queue().SetDepth(0);
  sources_.leases().FailSnapshots(std::nullopt);
  ASSERT_TRUE(PassUntil([&] { return Degraded() == "AsExpected"; }, 31));
  const int queue1 = sources_.queue().reads();
  Pass();
  Pass();
  EXPECT_EQ(sources_.queue().reads() - queue1, 2);
}

TEST_F(ReconcilerSourcesTest,
       AStoreThatCannotBeOpenedIsReopenedWithBackoffOrWhenItsSettingsChange) {
  Apply(ManualFleet(1, 4));
  sources_.FailLeaseOpen(MakeError(ErrorCode::kUnavailable, "connection timed out"));
  Pass();
  Pass();
  EXPECT_EQ(sources_.lease_opens(), 1);
  EXPECT_EQ(sources_.queue_opens(), 1);  // the queue, open, is not reopened with it
  clock_.Advance(std::chrono::seconds(1));
  Pass();
  EXPECT_EQ(sources_.lease_opens(), 2);
  Pass();
  EXPECT_EQ(sources_.lease_opens(), 2);
  // A rotated password is read before the next attempt the backoff allows
  // (2 s after the second failure), and, being new settings, opens both.
  Json secret = *client_.Peek(kube::rest::resources::kSecrets, kNs, "pricing-redis");
  secret["data"]["password"] = "cm90YXRlZA==";
  client_.Put(kube::rest::resources::kSecrets, secret);
  sources_.FailLeaseOpen(std::nullopt);
  Pass();
  EXPECT_EQ(sources_.lease_opens(), 2);
  clock_.Advance(std::chrono::seconds(2));
  Pass();
  EXPECT_EQ(sources_.lease_opens(), 3);
  EXPECT_EQ(Degraded(), "AsExpected");
  EXPECT_EQ(sources_.queue_opens(), 2);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
