// Hand-offs, drain-before-delete, the drain timeout and pods that end or
// terminate, on the unit tier. See reconciler_fixture.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "controller/sources/protocol/shard_ranges.h"
#include "tests/unit/fleet/reconciler/reconciler_fixture.h"
#include "tests/unit/obs/prom_parser.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

class ReconcilerDrainTest : public ReconcilerFixture {
 protected:
  double HandoffCount() {
    std::string error;
    auto e = obs::testing::Parse(registry_.Render(), error);
    if (!e) {
      ADD_FAILURE() << error;
      return -1;
    }
    return e->Value("agentfleet_handoff_seconds_count", {{"namespace", kNs}, {"fleet", kFleet}})
        .value_or(0);
  }
  // A converged fleet of 4 pods and 16 shards rolled to a new image with
  // cooperating agents: `each(pass, shards before the pass)` runs after each
  // of 30 passes, the client's calls then being that pass's.
  void RollNewImage(
      const std::function<void(int, const std::map<std::string, std::string>&)>& each) {
    Converge(4, 16);
    Json changed = ManualFleet(4, 16);
    changed["spec"]["template"]["spec"]["containers"][0]["image"] =
        "agentfleet/pricing-agent:0.2.0";
    Apply(changed);
    for (int i = 0; i < 30; ++i) {
      MakeAllReady();
      AgentsAct();
      std::map<std::string, std::string> before;
      for (const auto& [name, pod] : Pods()) before[name] = Shards(name);
      client_.ClearCalls();
      Pass();
      each(i, before);
    }
  }
  bool HasEvent(const std::string& reason) {
    auto r = EventReasons();
    return std::find(r.begin(), r.end(), reason) != r.end();
  }
};

TEST_F(ReconcilerDrainTest, ARetiringPodIsDeletedOnlyOnceItHoldsNoLease) {
  Converge(2, 8);
  Apply(ManualFleet(1, 8));
  Pass();
  EXPECT_EQ(Shards("pricing-0"), "0-7");
  EXPECT_EQ(Shards("pricing-1"), "");
  // pricing-1 still holds 4-7: however often the operator looks, it stays.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    Pass();
    EXPECT_EQ(Pods().count("pricing-1"), 1u);
  }
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 0u);
  AgentsAct();  // pricing-0 is refused 4-7; pricing-1 lets them go
  AgentsAct();  // pricing-0 takes them
  Pass();
  EXPECT_EQ(Pods().count("pricing-1"), 0u);
  EXPECT_EQ(Fleet()["status"]["replicas"], 1);
  const auto holders = sources_.leases().Holders(kLeaseFleet);
  EXPECT_EQ(holders.size(), 8u);
  for (const auto& [shard, holder] : holders) EXPECT_EQ(holder, "pricing-0/agent");
}

// A pass that both deletes drained pods and creates new ones deletes first:
// a rollout's pods, seen from outside, never number more than desired +
// maxSurge, not even between two requests of one pass.
TEST_F(ReconcilerDrainTest, ADrainedPodGoesBeforeTheNextOneIsCreated) {
  int both = 0;
  RollNewImage([&](int i, const std::map<std::string, std::string>&) {
    int alive = static_cast<int>(Pods().size());
    size_t last_delete = 0, first_create = SIZE_MAX, index = 0;
    for (const auto& c : client_.Calls()) {
      ++index;
      if (c.resource != "pods" || !c.subresource.empty()) continue;
      if (c.verb == Verb::kDelete) last_delete = index;
      if (c.verb == Verb::kCreate) first_create = std::min(first_create, index);
    }
    if (last_delete > 0 && first_create != SIZE_MAX) {
      ++both;
      EXPECT_LT(last_delete, first_create) << "pass " << i << " created before it deleted";
    }
    EXPECT_LE(alive, 5) << "pass " << i;
  });
  EXPECT_GT(both, 0) << "no pass both deleted and created: the test proves nothing";
  for (const auto& [name, pod] : Pods()) {
    EXPECT_EQ(pod["spec"]["containers"][0]["image"], "agentfleet/pricing-agent:0.2.0") << name;
  }
}

// In a pass that moves shards, the pods that gain shards are told first: a
// new owner's agent then waits on the lease (refused while held) and takes it
// the moment the old owner lets go. Told last, the old owners would drop
// their shards a whole round of patches (250 at 20 writes/s: 12 s) before
// anyone was told to take them.
TEST_F(ReconcilerDrainTest, NewOwnersAreToldBeforeOldOwnersLetGo) {
  int moving_passes = 0;
  RollNewImage([&](int i, const std::map<std::string, std::string>& before) {
    std::map<std::string, size_t> last_patch;
    size_t index = 0;
    for (const auto& c : client_.Calls()) {
      ++index;
      if (c.verb == Verb::kPatch && c.resource == "pods" && c.subresource.empty()) {
        last_patch[c.name] = index;
      }
    }
    size_t last_gainer = 0, first_loser = SIZE_MAX;
    for (const auto& [name, at] : last_patch) {
      auto was = sources::protocol::ParseShardRanges(before.at(name), 16);
      auto now = sources::protocol::ParseShardRanges(Shards(name), 16);
      if (!was || !now || *was == *now) continue;
      const bool gains = std::any_of(now->begin(), now->end(), [&](uint32_t s) {
        return std::find(was->begin(), was->end(), s) == was->end();
      });
      if (gains) {
        last_gainer = std::max(last_gainer, at);
      } else {
        first_loser = std::min(first_loser, at);
      }
    }
    if (last_gainer > 0 && first_loser != SIZE_MAX) {
      ++moving_passes;
      EXPECT_LT(last_gainer, first_loser) << "pass " << i << " told an old owner first";
    }
  });
  EXPECT_GT(moving_passes, 0) << "no pass moved shards between pods: the test proves nothing";
}

// A pod force-deleted while its agent lives on (a zombie) keeps renewing its
// leases. Its replacement could never take those shards and would be found
// stuck and replaced again and again; instead the zombie's leases are revoked
// after a lease duration, with a Warning, and the replacement takes them.
TEST_F(ReconcilerDrainTest, AZombiesLeasesAreRevokedNotWaitedOnForever) {
  Converge(2, 8);
  const auto zombie_shards = [&] {
    std::vector<uint32_t> out;
    for (const auto& [shard, holder] : sources_.leases().Holders(kLeaseFleet)) {
      if (holder == "pricing-1/agent") out.push_back(shard);
    }
    return out;
  }();
  ASSERT_FALSE(zombie_shards.empty());
  client_.Remove(kube::rest::resources::kPods, kNs, "pricing-1");  // --force --grace-period=0
  bool revoked = false;
  for (int i = 0; i < 30 && !revoked; ++i) {
    sources_.leases().Hold(kLeaseFleet, zombie_shards, "pricing-1/agent");  // it renews
    MakeAllReady();
    AgentsAct();
    clock_.Advance(std::chrono::seconds(2));
    Pass();
    revoked = HasEvent("LeaseRevoked");
  }
  ASSERT_TRUE(revoked) << "the zombie's leases were never revoked";
  EXPECT_EQ(sources_.leases().revokes(), 1);
  // The zombie's renewals now fail; the replacement takes the shards.
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    const auto holders = sources_.leases().Holders(kLeaseFleet);
    return holders.size() == 8 && std::none_of(holders.begin(), holders.end(), [](const auto& h) {
             return h.second == "pricing-1/agent";
           });
  }));
  EXPECT_FALSE(HasEvent("AgentStuck")) << "the replacement was taken for stuck";
  EXPECT_EQ(Pods().size(), 2u);
}

TEST_F(ReconcilerDrainTest, HandOffsAreMeasuredWhenTheNewOwnerHoldsTheLease) {
  Converge(1, 8);
  const double before = HandoffCount();
  Apply(ManualFleet(2, 8));
  Pass();  // pricing-1 is created with 4-7, which pricing-0 works until it is Ready
  ASSERT_EQ(Shards("pricing-1"), "4-7");
  ASSERT_EQ(Shards("pricing-0"), "0-7");
  MakeAllReady();
  AgentsAct();  // pricing-1 is refused: pricing-0 holds them
  Pass();       // pricing-1 Ready: pricing-0 is told to let go, the hand-off starts
  ASSERT_EQ(Shards("pricing-0"), "0-3");
  EXPECT_EQ(HandoffCount(), before);  // assigned, not yet held
  AgentsAct();                        // pricing-0 lets 4-7 go
  AgentsAct();                        // pricing-1 takes them
  Pass();
  EXPECT_EQ(HandoffCount(), before + 4);
}

TEST_F(ReconcilerDrainTest, ARetiringPodThatNeverLetsGoIsDeletedAfterTheDrainTimeout) {
  Converge(2, 8, /*drain_timeout=*/30);
  Scale(1);
  Pass();  // pricing-1 retiring; its agent keeps renewing and never lets go
  const std::vector<uint32_t> kept = {4, 5, 6, 7};
  sources_.leases().Hold(kLeaseFleet, kept, "pricing-1/agent", std::chrono::hours(1));
  clock_.Advance(std::chrono::seconds(20));
  Pass();
  EXPECT_EQ(Pods().count("pricing-1"), 1u);
  EXPECT_FALSE(HasEvent("DrainTimeout"));
  clock_.Advance(std::chrono::seconds(15));
  Pass();
  EXPECT_EQ(Pods().count("pricing-1"), 0u);
  EXPECT_TRUE(HasEvent("DrainTimeout"));
}

TEST_F(ReconcilerDrainTest, AnEndedPodIsReportedRetiredAndReplaced) {
  Converge(2, 8);
  SetPhase("pricing-1", "Failed");
  sources_.leases().ReleaseAll(kLeaseFleet, "pricing-1/agent");
  Pass();
  EXPECT_TRUE(HasEvent("PodEnded"));
  auto pods = Pods();
  EXPECT_EQ(pods.count("pricing-2"), 1u);  // the replacement, under a new name
  Pass();
  EXPECT_EQ(Pods().count("pricing-1"), 0u);  // no lease held: deleted
}

// An ended pod whose leases cannot be checked (the lease table is down) is
// let go after the drain timeout, counted from when it was first seen ended:
// the mark keeps that time across passes, and the event is recorded once.
TEST_F(ReconcilerDrainTest, AnEndedPodIsMarkedOnceAndItsDrainTimeoutRuns) {
  Converge(2, 8, /*drain_timeout=*/30);
  SetPhase("pricing-1", "Failed");
  sources_.leases().FailSnapshots(MakeError(ErrorCode::kUnavailable, "down"));
  Pass();
  EXPECT_TRUE(Pods()["pricing-1"]["metadata"]["annotations"].contains("agentfleet.io/retiring"));
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_EQ(Pods().count("pricing-1"), 1u);
  clock_.Advance(std::chrono::seconds(10));
  Pass();
  EXPECT_EQ(Pods().count("pricing-1"), 0u);
  events_->Flush();
  for (const Json& e : client_.PeekAll(kube::rest::resources::kEvents)) {
    if (e.value("reason", "") != "PodEnded") continue;
    EXPECT_FALSE(e.contains("series")) << e.dump();
  }
  EXPECT_TRUE(HasEvent("PodEnded"));
}

TEST_F(ReconcilerDrainTest, ATerminatingPodIsReplacedAtOnce) {
  Converge(2, 8);
  auto p = *client_.Peek(kube::rest::resources::kPods, kNs, "pricing-1");
  p["metadata"]["finalizers"] = {"test.io/hold"};
  client_.Put(kube::rest::resources::kPods, p);
  ASSERT_TRUE(client_.Delete(kube::rest::resources::kPods, kNs, "pricing-1").ok());
  Pass();
  EXPECT_EQ(Pods().count("pricing-2"), 1u);
  EXPECT_EQ(Shards("pricing-2"), "4-7");  // the replacement is created with its shards
  EXPECT_EQ(Shards("pricing-0"), "0-3");
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 1u);  // only the test's own delete
}

// A scale-down's delete is sent once while the cache has not shown it.
TEST_F(ReconcilerDrainTest, APassBeforeTheCacheShowsADeleteDoesNotSendItAgain) {
  Converge(3, 12, /*drain_timeout=*/0);
  Scale(1);
  ASSERT_TRUE(PassUntil([&] {
    AgentsAct();
    return client_.CountCalls(Verb::kDelete, "pods") == 2u;
  }));
  SyncFleets();  // the pod cache still shows both deleted pods
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    reconciler_->Reconcile(kKey, log_);
  }
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 2u);
}

TEST_F(ReconcilerDrainTest, DeletesCarryTheUidSoARecreatedPodIsSpared) {
  Converge(2, 8, /*drain_timeout=*/0);
  Scale(1);
  SyncFleets();
  // The cache knows pricing-1 by its old uid; the server holds a new pod of
  // that name (deleted and recreated behind the cache's back).
  client_.Remove(kube::rest::resources::kPods, kNs, "pricing-1");
  client_.Put(kube::rest::resources::kPods, {{"apiVersion", "v1"},
                                             {"kind", "Pod"},
                                             {"metadata",
                                              {{"name", "pricing-1"},
                                               {"namespace", kNs},
                                               {"labels", {{"agentfleet.io/fleet", kFleet}}}}}});
  reconciler_->Reconcile(kKey, log_);
  clock_.Advance(std::chrono::seconds(1));
  reconciler_->Reconcile(kKey, log_);
  EXPECT_GE(client_.CountCalls(Verb::kDelete, "pods"), 1u);
  EXPECT_EQ(Pods().count("pricing-1"), 1u);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
