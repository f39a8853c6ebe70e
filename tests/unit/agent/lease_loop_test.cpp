// The lease loop's reading of the published assignment (docs/protocol.md §3),
// against the in-memory lease store: applied when its generation is the
// highest of the sources, kept out and reported when malformed.
#include "examples/agent/lease_loop.h"

#include <gtest/gtest.h>

#include "controller/base/clock.h"
#include "tests/support/fake_sources.h"

namespace agentfleet::agent {
namespace {

using namespace std::chrono_literals;
using sources::lease::PublishedAssignment;

class LeaseLoopPublishedTest : public ::testing::Test {
 protected:
  LeaseLoopPublishedTest() {
    auto store = std::make_unique<agentfleet::testing::FakeLeaseStore>(clock_);
    store_ = store.get();
    loop_ = std::make_unique<LeaseLoop>(LeaseLoopConfig{.fleet = "shop/pricing",
                                                        .holder = "pod-a/1",
                                                        .lease_duration = 15s,
                                                        .tick = 1s,
                                                        .pod = "pod-a",
                                                        .shard_count = 8},
                                        std::move(store), nullptr, table_, box_, metrics_,
                                        obs::Logger());
  }
  void Publish(int64_t generation, const std::string& shards) {
    ASSERT_TRUE(store_->PublishAssignments("shop/pricing", {{"pod-a", generation, shards}}).ok());
  }
  std::vector<uint32_t> Held() const {
    std::vector<uint32_t> out;
    for (const auto& h : table_.Held()) out.push_back(h.shard);
    return out;
  }
  // One tick later than the last step.
  void Tick() {
    now_ += 1s;
    loop_->Step(now_);
  }

  FakeClock clock_;
  agentfleet::testing::FakeLeaseStore* store_ = nullptr;
  ShardTable table_;
  AssignmentBox box_;
  obs::Registry registry_;
  AgentMetrics metrics_{registry_};
  std::unique_ptr<LeaseLoop> loop_;
  SteadyTime now_ = std::chrono::steady_clock::now();
};

TEST_F(LeaseLoopPublishedTest, APublishedAssignmentIsAppliedAtTheNextTick) {
  Tick();
  EXPECT_TRUE(Held().empty());
  Publish(3, "0-2");
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{0, 1, 2}));
  Publish(4, "2");
  Tick();
  Tick();  // drained and released
  EXPECT_EQ(Held(), (std::vector<uint32_t>{2}));
}

// The file (or the Pod) and the store each lag at times: the higher
// generation wins, whichever source said it.
TEST_F(LeaseLoopPublishedTest, TheHigherGenerationWinsWhicheverSourceSaidIt) {
  box_.Put({.present = true, .generation = 7, .shards = {5, 6}});
  Publish(5, "0-3");
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{5, 6}));
  Publish(8, "7");
  Tick();
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{7}));
  box_.Put({.present = true, .generation = 7, .shards = {5, 6}});  // the file catches up late
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{7}));
}

TEST_F(LeaseLoopPublishedTest, AMalformedRecordIsKeptOutAndReportedOnce) {
  Publish(2, "1");
  Tick();
  ASSERT_EQ(Held(), (std::vector<uint32_t>{1}));
  Publish(3, "9");  // out of range for S = 8
  Tick();
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{1}));
  EXPECT_EQ(metrics_.assignment_errors.Value(), 1);
  Publish(4, "2");
  Tick();
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{2}));
}

TEST_F(LeaseLoopPublishedTest, AnUnreachableStoreLeavesTheOtherSourceInCharge) {
  store_->FailAssignments(MakeError(ErrorCode::kUnavailable, "redis down"));
  box_.Put({.present = true, .generation = 1, .shards = {4}});
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{4}));
  EXPECT_EQ(metrics_.assignment_errors.Value(), 0) << "an outage is no malformed assignment";
}

// The hand-offs a fleet's team watches: a shard that another agent still held
// comes in once that agent lets it go; a shard the assignment moved away goes
// out when released. A shard free at once, or released at shutdown, is neither.
TEST_F(LeaseLoopPublishedTest, CountsHandOffsInAndOut) {
  store_->Hold("shop/pricing", {1}, "pod-b/1", 15s);
  Publish(1, "0-1");
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{0}));
  EXPECT_EQ(metrics_.handoffs_in.Value(), 0);
  store_->ReleaseAll("shop/pricing", "pod-b/1");
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(metrics_.handoffs_in.Value(), 1) << "shard 1 waited for pod-b";

  Publish(2, "1");
  Tick();
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{1}));
  EXPECT_EQ(metrics_.handoffs_out.Value(), 1) << "shard 0 moved away";

  loop_->ReleaseAll();
  EXPECT_EQ(metrics_.handoffs_out.Value(), 1) << "a shutdown is no hand-off";
}

TEST_F(LeaseLoopPublishedTest, AShardWaitedForThenUnassignedIsNoHandOffLater) {
  store_->Hold("shop/pricing", {3}, "pod-b/1", 15s);
  Publish(1, "3");
  Tick();
  Publish(2, "4");
  Tick();
  store_->ReleaseAll("shop/pricing", "pod-b/1");
  Publish(3, "3");
  Tick();
  EXPECT_EQ(Held(), (std::vector<uint32_t>{3}));
  EXPECT_EQ(metrics_.handoffs_in.Value(), 0);
}

TEST(AssignmentBox, KeepsTheNewestOfItsSources) {
  AssignmentBox box;
  box.Put({.present = false});
  box.Put({.present = true, .generation = 5, .shards = {1}});
  box.Put({.present = true, .generation = 4, .shards = {2}});
  box.Put({.present = false});
  box.Put({.present = true, .generation = 5, .shards = {3}});
  EXPECT_EQ(box.Latest()->shards, (std::vector<uint32_t>{1}));
  box.Put({.present = true, .generation = 6, .shards = {}});
  EXPECT_EQ(box.Latest()->generation, 6);
}

}  // namespace
}  // namespace agentfleet::agent
