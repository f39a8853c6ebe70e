// A fleet's deletion on the unit tier: its pods go first, then its lease
// records, then the finalizer; a store that is gone, a Secret deleted with
// the namespace or a spec that cannot be read never holds the namespace
// forever.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/in_flight.h"
#include "tests/unit/fleet/reconciler/reconciler_fixture.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

using kube::controller::ReconcileResult;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;

class ReconcilerFinalizerTest : public ReconcilerFixture {
 protected:
  void ConvergeThenDelete(int replicas, bool hold_pods) {
    Apply(ManualFleet(replicas, 8));
    ASSERT_TRUE(PassUntil([&] {
      MakeAllReady();
      AgentsAct();
      return Condition("Ready").value("status", "") == "True";
    }));
    if (hold_pods) {
      // The kubelet's graceful termination: the pods linger after the delete.
      for (auto [name, p] : Pods()) {
        p["metadata"]["finalizers"] = {"test.io/kubelet"};
        client_.Put(kPods, p);
      }
    }
    ASSERT_TRUE(client_.Delete(kPricingAgentFleets, kNs, kFleet).ok());
  }
  bool FleetGone() const { return !client_.Peek(kPricingAgentFleets, kNs, kFleet).has_value(); }
  bool HasEvent(const std::string& reason) {
    auto r = EventReasons();
    return std::find(r.begin(), r.end(), reason) != r.end();
  }
};

TEST_F(ReconcilerFinalizerTest, PodsGoFirstThenTheLeaseRecordsThenTheFinalizer) {
  ConvergeThenDelete(2, /*hold_pods=*/true);
  auto r = Pass();
  EXPECT_EQ(r.kind(), ReconcileResult::Kind::kRequeueAfter);
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 2u);
  EXPECT_EQ(sources_.leases().deletes(), 0);  // pods still terminating
  EXPECT_FALSE(FleetGone());
  Pass();
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 2u);  // not deleted twice
  for (const auto& [name, p] : Pods()) client_.Remove(kPods, kNs, name);
  EXPECT_FALSE(sources_.leases().Published(kLeaseFleet).empty());
  Pass();
  EXPECT_EQ(sources_.leases().deletes(), 1);
  EXPECT_TRUE(sources_.leases().Holders(kLeaseFleet).empty());
  EXPECT_TRUE(sources_.leases().Published(kLeaseFleet).empty());
  EXPECT_TRUE(FleetGone());
  EXPECT_TRUE(HasEvent("LeasesDeleted"));
}

// The deletes go out many at once: the client's rate, not the round trip,
// sets the pace of a large fleet's deletion.
TEST_F(ReconcilerFinalizerTest, PodsAreDeletedManyAtOnce) {
  ConvergeThenDelete(8, /*hold_pods=*/false);
  agentfleet::testing::InFlightProbe deletes;
  client_.AddFault(deletes.Rule(Verb::kDelete, "pods", std::chrono::milliseconds(20)));
  Pass();
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 8u);
  EXPECT_GT(deletes.most(), 1);
  EXPECT_TRUE(Pods().empty());
}

// The pod cache lags the deletes: passes that run before it shows them (pod
// events of other pods start them) do not send them again. A delete the API
// server never applied is sent again once the expectation times out.
TEST_F(ReconcilerFinalizerTest, PassesBeforeTheCacheShowsTheDeletesDoNotSendThemAgain) {
  ConvergeThenDelete(4, /*hold_pods=*/true);
  Pass();
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 4u);
  SyncFleets();  // the pod cache still shows the four pods as they were
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    reconciler_->Reconcile(kKey, log_);
  }
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 4u);
  clock_.Advance(std::chrono::seconds(300));
  reconciler_->Reconcile(kKey, log_);
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 8u);
}

// A pod that carries the fleet's label but is another owner's is not the
// fleet's to delete, and does not hold the finalizer.
TEST_F(ReconcilerFinalizerTest, ALabelledPodOfAnotherOwnerIsNeitherDeletedNorWaitedFor) {
  client_.Put(kPods, {{"apiVersion", "v1"},
                      {"kind", "Pod"},
                      {"metadata",
                       {{"name", "web-1"},
                        {"namespace", kNs},
                        {"labels", {{"agentfleet.io/fleet", kFleet}}},
                        {"annotations", Json::object()},
                        {"ownerReferences",
                         {{{"apiVersion", "apps/v1"},
                           {"kind", "ReplicaSet"},
                           {"name", "web"},
                           {"uid", "rs-uid"},
                           {"controller", true}}}}}},
                      {"spec", {{"containers", {{{"name", "web"}, {"image", "web:1"}}}}}}});
  ConvergeThenDelete(1, /*hold_pods=*/false);
  ASSERT_TRUE(PassUntil([&] {
    for (const auto& [name, p] : Pods()) {
      if (name != "web-1" && p["metadata"].contains("deletionTimestamp")) {
        client_.Remove(kPods, kNs, name);
      }
    }
    return FleetGone();
  }));
  EXPECT_TRUE(Pods().count("web-1"));
  for (const auto& c : client_.Calls()) {
    EXPECT_FALSE(c.verb == Verb::kDelete && c.name == "web-1") << "web-1 deleted";
  }
  EXPECT_FALSE(HasEvent("PodsStillTerminating"));
}

TEST_F(ReconcilerFinalizerTest, PodsThatNeverGoHoldTheRecordsOnlyUntilTheTimeout) {
  ConvergeThenDelete(1, /*hold_pods=*/true);
  Pass();
  clock_.Advance(std::chrono::seconds(299));
  Pass();
  EXPECT_FALSE(FleetGone());
  clock_.Advance(std::chrono::seconds(2));
  Pass();
  EXPECT_TRUE(FleetGone());
  EXPECT_TRUE(HasEvent("PodsStillTerminating"));
}

// A store that cannot be reached holds the fleet for the cleanup's bound
// (60 s), retried every few seconds rather than with the rate limiter's
// growing backoff; then the fleet goes with a Warning naming what stays.
TEST_F(ReconcilerFinalizerTest, AStoreThatIsGoneHoldsTheFleetOnlyForTheBound) {
  ConvergeThenDelete(1, /*hold_pods=*/false);
  Pass();  // the pods go
  // A new operator process meets a lease store it cannot reach.
  Restart();
  sources_.FailLeaseOpen(MakeError(ErrorCode::kUnavailable, "connection refused"));
  auto r = Pass();
  ASSERT_EQ(r.kind(), ReconcileResult::Kind::kRequeueAfter);
  EXPECT_LE(r.requeue_after(), std::chrono::seconds(5));
  EXPECT_FALSE(FleetGone());
  EXPECT_TRUE(HasEvent("LeaseCleanupFailing"));
  for (int i = 0; i < 11; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
    EXPECT_FALSE(FleetGone()) << "after " << 5 * (i + 1) << " s";
  }
  clock_.Advance(std::chrono::seconds(5));  // 60 s
  Pass();
  EXPECT_TRUE(FleetGone());
  EXPECT_TRUE(HasEvent("LeaseCleanupFailed"));
  bool named = false;
  for (const auto& e : client_.PeekAll(kube::rest::resources::kEvents)) {
    if (e.value("reason", "") != "LeaseCleanupFailed") continue;
    const std::string m = e.value("note", "");
    EXPECT_NE(m.find("connection refused"), std::string::npos) << m;
    EXPECT_NE(m.find(kLeaseFleet), std::string::npos) << m;
    EXPECT_EQ(e.value("type", ""), "Warning");
    named = true;
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(sources_.leases().deletes(), 0);
}

// A store that comes back within the bound has its records deleted.
TEST_F(ReconcilerFinalizerTest, AStoreBackWithinTheBoundIsCleaned) {
  ConvergeThenDelete(1, /*hold_pods=*/false);
  Pass();
  Restart();
  sources_.FailLeaseOpen(MakeError(ErrorCode::kUnavailable, "connection refused"));
  Pass();
  clock_.Advance(std::chrono::seconds(30));
  Pass();
  EXPECT_FALSE(FleetGone());
  sources_.FailLeaseOpen(std::nullopt);
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_TRUE(FleetGone());
  EXPECT_EQ(sources_.leases().deletes(), 1);
  EXPECT_FALSE(HasEvent("LeaseCleanupFailed"));
}

// `kubectl delete namespace` deletes the fleet's password Secret along with
// the pods: the records cannot be reached, and the namespace must not hang.
TEST_F(ReconcilerFinalizerTest, ASecretDeletedWithTheNamespaceDoesNotHoldItForever) {
  ConvergeThenDelete(1, /*hold_pods=*/false);
  Restart();  // no store opened before the Secret went
  for (const auto& s : client_.PeekAll(kube::rest::resources::kSecrets)) {
    client_.Remove(kube::rest::resources::kSecrets, kNs, s["metadata"]["name"]);
  }
  ASSERT_TRUE(client_.PeekAll(kube::rest::resources::kSecrets).empty());
  PassUntil([&] { return Pods().empty(); });
  for (int i = 0; i < 20 && !FleetGone(); ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_TRUE(FleetGone());
  EXPECT_TRUE(HasEvent("LeaseCleanupFailed"));
}

TEST_F(ReconcilerFinalizerTest, AFailedDeleteOfTheRecordsIsRetried) {
  ConvergeThenDelete(1, /*hold_pods=*/false);
  Pass();  // the pods go
  sources_.leases().FailDeletes(MakeError(ErrorCode::kTimeout, "slow"));
  auto r = Pass();
  ASSERT_EQ(r.kind(), ReconcileResult::Kind::kRequeueAfter);
  EXPECT_FALSE(FleetGone());
  clock_.Advance(std::chrono::seconds(5));
  r = Pass();
  ASSERT_EQ(r.kind(), ReconcileResult::Kind::kRequeueAfter);
  EXPECT_FALSE(FleetGone());
  sources_.leases().FailDeletes(std::nullopt);
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_TRUE(FleetGone());
  EXPECT_TRUE(sources_.leases().Holders(kLeaseFleet).empty());
  EXPECT_FALSE(HasEvent("LeaseCleanupFailed"));
}

TEST_F(ReconcilerFinalizerTest, AnInvalidSpecLetsTheFleetGoWithAWarning) {
  Apply(ManualFleet(1, 4));
  Pass();
  Json f = Fleet();
  f["spec"]["shards"] = "many";
  client_.Put(kPricingAgentFleets, f);
  ASSERT_TRUE(client_.Delete(kPricingAgentFleets, kNs, kFleet).ok());
  Pass();
  EXPECT_TRUE(FleetGone());
  EXPECT_TRUE(HasEvent("LeaseCleanupSkipped"));
}

TEST_F(ReconcilerFinalizerTest, AnotherWritersFinalizerIsKept) {
  Apply(ManualFleet(1, 4));
  Pass();
  Json f = Fleet();
  f["metadata"]["finalizers"].push_back("other.io/keep");
  client_.Put(kPricingAgentFleets, f);
  ASSERT_TRUE(client_.Delete(kPricingAgentFleets, kNs, kFleet).ok());
  for (const auto& [name, p] : Pods()) client_.Remove(kPods, kNs, name);
  Pass();
  ASSERT_FALSE(FleetGone());
  EXPECT_EQ(Fleet()["metadata"]["finalizers"], Json::array({"other.io/keep"}));
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
