// Published assignments (docs/protocol.md §3), checked identically on every
// store: the generation never goes back, removal spares newer records, and
// deleting a fleet takes them along.
#include "tests/integration/sources/lease/conformance.h"

namespace agentfleet::sources::lease::testing {
namespace {

using namespace std::chrono_literals;

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const auto& _r = (expr);                                        \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

std::vector<PublishedAssignment> Listed(LeaseStore& store, const std::string& fleet) {
  return Must(store.ListAssignments(fleet));
}

TEST_P(LeaseConformance, PublishedAssignmentIsReadBackAndNeverLowered) {
  auto store = harness().NewLeaseStore();
  EXPECT_EQ(Must(store->ReadAssignment(fleet(), "pod-a")), std::nullopt);
  EXPECT_EQ(Must(store->PublishAssignments(fleet(), {{"pod-a", 5, "0-3,7"}, {"pod-b", 6, ""}})),
            (std::vector<bool>{true, true}));
  EXPECT_EQ(Must(store->ReadAssignment(fleet(), "pod-a")),
            (PublishedAssignment{"pod-a", 5, "0-3,7"}));
  // An empty assignment is a record too: the agent must learn to let go.
  EXPECT_EQ(Must(store->ReadAssignment(fleet(), "pod-b")), (PublishedAssignment{"pod-b", 6, ""}));

  // Equal or lower generations are skipped, per record, in one batch.
  EXPECT_EQ(Must(store->PublishAssignments(
                fleet(), {{"pod-a", 5, "9"}, {"pod-b", 4, "1"}, {"pod-c", 1, "2"}})),
            (std::vector<bool>{false, false, true}));
  EXPECT_EQ(Must(store->ReadAssignment(fleet(), "pod-a"))->shards, "0-3,7");
  EXPECT_EQ(Must(store->PublishAssignments(fleet(), {{"pod-a", 9, "4-5"}})),
            (std::vector<bool>{true}));
  EXPECT_EQ(
      Listed(*store, fleet()),
      (std::vector<PublishedAssignment>{{"pod-a", 9, "4-5"}, {"pod-b", 6, ""}, {"pod-c", 1, "2"}}));
  ASSERT_OK(store->DeleteFleet(fleet()));
}

TEST_P(LeaseConformance, RemovalSparesARecordPublishedSince) {
  auto store = harness().NewLeaseStore();
  ASSERT_OK(store->PublishAssignments(fleet(), {{"pod-a", 3, "0"}, {"pod-b", 4, "1"}}));
  // pod-b was recreated under its name and published at 7 before the removal
  // of the old pod's record (generation 4) arrived.
  ASSERT_OK(store->PublishAssignments(fleet(), {{"pod-b", 7, "1-2"}}));
  ASSERT_OK(store->RemoveAssignments(fleet(), {{"pod-a", 3}, {"pod-b", 4}, {"pod-gone", 1}}));
  EXPECT_EQ(Listed(*store, fleet()), (std::vector<PublishedAssignment>{{"pod-b", 7, "1-2"}}));
  ASSERT_OK(store->RemoveAssignments(fleet(), {{"pod-b", 7}}));
  EXPECT_TRUE(Listed(*store, fleet()).empty());
}

TEST_P(LeaseConformance, DeleteFleetRemovesPublishedAssignmentsOfThatFleetOnly) {
  auto store = harness().NewLeaseStore();
  const std::string other = fleet() + "-other";
  ASSERT_OK(store->PublishAssignments(fleet(), {{"pod-a", 1, "0"}}));
  ASSERT_OK(store->PublishAssignments(other, {{"pod-a", 2, "1"}}));
  ASSERT_OK(store->Acquire(fleet(), 0, "pod-a/x", 30000ms));
  ASSERT_OK(store->DeleteFleet(fleet()));
  EXPECT_TRUE(Listed(*store, fleet()).empty());
  EXPECT_TRUE(Must(store->Snapshot(fleet())).records.empty());
  EXPECT_EQ(Listed(*store, other), (std::vector<PublishedAssignment>{{"pod-a", 2, "1"}}));
  // A publish after the delete starts afresh: no generation is remembered.
  EXPECT_EQ(Must(store->PublishAssignments(fleet(), {{"pod-a", 1, "0"}})),
            (std::vector<bool>{true}));
  ASSERT_OK(store->DeleteFleet(other));
  ASSERT_OK(store->DeleteFleet(fleet()));
}

TEST_P(LeaseConformance, BadAssignmentsAreRefusedBeforeTheStore) {
  auto store = harness().NewLeaseStore();
  auto refused = [&](std::vector<PublishedAssignment> batch, const std::string& phrase) {
    auto r = store->PublishAssignments(fleet(), batch);
    ASSERT_FALSE(r.ok()) << phrase;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(phrase), std::string::npos) << r.error().message;
  };
  refused({{"", 1, "0"}}, "pod is empty");
  refused({{"pod-a", 0, "0"}}, "outside 1 to 2^53 - 1");
  refused({{"pod-a", int64_t{1} << 53, "0"}}, "outside 1 to 2^53 - 1");
  refused({{"pod-a", 1, "0 1"}}, "compact ranges");
  refused({{"pod-a", 1, "0"}, {"pod-a", 2, "1"}}, "pod-a appears twice");
  auto remove = store->RemoveAssignments(fleet(), {{"pod\n", 1}});
  ASSERT_FALSE(remove.ok());
  EXPECT_NE(remove.error().message.find("control character"), std::string::npos);
  EXPECT_FALSE(store->ReadAssignment(fleet(), "").ok());
  // Nothing was written by any of them.
  EXPECT_TRUE(Listed(*store, fleet()).empty());
  EXPECT_TRUE(Must(store->PublishAssignments(fleet(), {})).empty());
}

// Pod names are opaque text to the store, whatever they contain besides
// control characters.
TEST_P(LeaseConformance, PodNamesAreOpaqueInPublishedAssignments) {
  auto store = harness().NewLeaseStore();
  const std::string odd = "pod \"quoted\" \\ {tag} é";
  ASSERT_OK(store->PublishAssignments(fleet(), {{odd, 2, "0-1"}}));
  EXPECT_EQ(Must(store->ReadAssignment(fleet(), odd)), (PublishedAssignment{odd, 2, "0-1"}));
  ASSERT_OK(store->RemoveAssignments(fleet(), {{odd, 2}}));
  EXPECT_EQ(Must(store->ReadAssignment(fleet(), odd)), std::nullopt);
}

}  // namespace
}  // namespace agentfleet::sources::lease::testing
