// The published assignments (publish_assignments.h) on the unit tier: what a
// pass writes to the fake lease store beside the annotations, and what it
// never does. See reconciler_fixture.h.
#include <gtest/gtest.h>

#include "controller/sources/protocol/annotations.h"
#include "tests/unit/fleet/reconciler/reconciler_fixture.h"
#include "tests/unit/obs/prom_parser.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

using kube::controller::ReconcileResult;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;
using sources::lease::PublishedAssignment;

class PublishAssignmentsTest : public ReconcilerFixture {
 protected:
  // What the API server's pods carry, as the store should publish it.
  std::map<std::string, PublishedAssignment> Annotated() const {
    std::map<std::string, PublishedAssignment> out;
    for (const auto& [name, pod] : Pods()) {
      const Json& a = pod["metadata"]["annotations"];
      const std::string shards_key(sources::protocol::kShardsAnnotation);
      const std::string generation_key(sources::protocol::kAssignmentGenerationAnnotation);
      if (!a.contains(shards_key) || pod["metadata"].contains("deletionTimestamp")) continue;
      out[name] = {name, std::stoll(a[generation_key].get<std::string>()),
                   a[shards_key].get<std::string>()};
    }
    return out;
  }
  std::map<std::string, PublishedAssignment> Published() {
    return sources_.leases().Published(kLeaseFleet);
  }
  double PublishErrors() {
    std::string error;
    auto e = obs::testing::Parse(registry_.Render(), error);
    if (!e) {
      ADD_FAILURE() << error;
      return -1;
    }
    return e
        ->Value("agentfleet_assignment_publish_errors_total",
                {{"namespace", kNs}, {"fleet", kFleet}})
        .value_or(0);
  }
};

TEST_F(PublishAssignmentsTest, EveryPodsAssignmentIsPublishedAsItsAnnotationsSay) {
  Converge(3, 12);
  EXPECT_EQ(Published().size(), 3u);
  EXPECT_EQ(Published(), Annotated());
}

// The store copy is written in the pass that patches, before the pod cache
// shows the patch: an agent need not wait for the operator's next pass either.
// (A new pod is created with its shards, which its file has from its start;
// its record follows once the cache shows it.)
TEST_F(PublishAssignmentsTest, AHandOffIsPublishedInThePassThatPatches) {
  Converge(1, 8);
  Scale(2);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Pods().size() == 2 && Shards("pricing-0") != "0-7";
  }));
  // No Sync since the patch that took shards from pricing-0.
  EXPECT_EQ(Published().at("pricing-0"), Annotated().at("pricing-0"));
  Pass();
  EXPECT_EQ(Published(), Annotated());
}

TEST_F(PublishAssignmentsTest, AConvergedPassReadsOnceAndWritesNothing) {
  Converge(2, 8);
  const int writes = sources_.leases().assignment_writes();
  const int lists = sources_.leases().assignment_lists();
  Pass();
  Pass();
  EXPECT_EQ(sources_.leases().assignment_writes(), writes);
  EXPECT_EQ(sources_.leases().assignment_lists(), lists + 2);
}

TEST_F(PublishAssignmentsTest, RecordsOfGonePodsAreRemoved) {
  Converge(3, 12);
  Scale(1);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Pods().size() == 1;
  }));
  Pass();
  EXPECT_EQ(Published(), Annotated());
  ASSERT_EQ(Published().size(), 1u);
  // A pod deleted by someone else (kubectl delete --force) goes too.
  Scale(2);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Condition("Ready").value("status", "") == "True" && Published().size() == 2;
  }));
  const std::string victim = Published().rbegin()->first;
  client_.Remove(kPods, kNs, victim);
  Pass();
  EXPECT_EQ(Published().count(victim), 0u);
}

// What the store lost (a Redis restart without persistence) or never got (an
// operator restarted in between) is written by the next pass.
TEST_F(PublishAssignmentsTest, ALostRecordIsRepublishedByTheNextPass) {
  Converge(2, 8);
  ASSERT_TRUE(sources_.leases().RemoveAssignments(kLeaseFleet, {{"pricing-0", 1 << 30}}).ok());
  Restart();
  Pass();
  EXPECT_EQ(Published(), Annotated());
}

TEST_F(PublishAssignmentsTest, AGenerationInTheStoreIsNeverLowered) {
  Converge(2, 8);
  const PublishedAssignment newer{"pricing-0", 1 << 30, "0-7"};
  ASSERT_TRUE(sources_.leases().PublishAssignments(kLeaseFleet, {newer}).ok());
  Pass();
  EXPECT_EQ(Published().at("pricing-0"), newer);
}

// Not the leader any more: nothing is sent, the pass goes on, and the
// annotations still deliver the assignment.
TEST_F(PublishAssignmentsTest, ARefusedGateSendsNothingAndFailsNoPass) {
  Converge(1, 8);
  lease_gate_ = [] { return Status(MakeError(ErrorCode::kUnavailable, "not the leader")); };
  Restart();
  const int writes = sources_.leases().assignment_writes();
  Scale(2);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Pods().size() == 2 && Shards("pricing-0") != "0-7";
  }));
  Pass();
  EXPECT_EQ(sources_.leases().assignment_writes(), writes);
  EXPECT_GT(PublishErrors(), 0);
  EXPECT_NE(Published(), Annotated());
}

// A store whose lease snapshot failed is left alone for the pass: no call
// that would wait for the same timeout again.
TEST_F(PublishAssignmentsTest, AStoreThatFailedItsSnapshotIsNotCalledAgain) {
  Converge(2, 8);
  sources_.leases().FailSnapshots(MakeError(ErrorCode::kTimeout, "redis timeout"));
  const int lists = sources_.leases().assignment_lists();
  const int writes = sources_.leases().assignment_writes();
  Pass();
  Pass();
  EXPECT_EQ(sources_.leases().assignment_lists(), lists);
  EXPECT_EQ(sources_.leases().assignment_writes(), writes);
}

TEST_F(PublishAssignmentsTest, AFailingStoreIsCountedAndTheAnnotationsStillDeliver) {
  Converge(1, 8);
  sources_.leases().FailAssignments(MakeError(ErrorCode::kUnavailable, "redis down"));
  Scale(2);
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    return Pods().size() == 2 && !Shards("pricing-1").empty();
  }));
  auto r = Pass();
  EXPECT_NE(r.kind(), ReconcileResult::Kind::kError) << r.error()->message;
  EXPECT_GT(PublishErrors(), 0);
  sources_.leases().FailAssignments(std::nullopt);
  Pass();
  EXPECT_EQ(Published(), Annotated());
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
