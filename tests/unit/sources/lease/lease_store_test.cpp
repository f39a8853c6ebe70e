#include "controller/sources/lease/lease_store.h"

#include <gtest/gtest.h>

#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::sources::lease {
namespace {

using namespace std::chrono_literals;

TEST(LeaseRecord, ValidOnlyWithHolderBeforeExpiry) {
  EXPECT_TRUE((LeaseRecord{0, "a", 1, 1001}.ValidAt(1000)));
  EXPECT_FALSE((LeaseRecord{0, "a", 1, 1000}.ValidAt(1000)));  // expiry is exclusive
  EXPECT_FALSE((LeaseRecord{0, "", 1, 5000}.ValidAt(1000)));
}

TEST(LeaseSnapshot, ValidFindsByShard) {
  LeaseSnapshot s{1000, {{1, "a", 1, 2000}, {3, "b", 5, 900}, {4, "", 6, 0}, {9, "c", 2, 1500}}};
  ASSERT_NE(s.Valid(1), nullptr);
  EXPECT_EQ(s.Valid(1)->holder, "a");
  EXPECT_EQ(s.Valid(3), nullptr);  // expired
  EXPECT_EQ(s.Valid(4), nullptr);  // released
  EXPECT_EQ(s.Valid(5), nullptr);  // no record
  ASSERT_NE(s.Valid(9), nullptr);
  EXPECT_EQ(s.Valid(10), nullptr);
}

TEST(LeaseValidation, RejectsBadNamesTtlsAndDuplicates) {
  EXPECT_TRUE(ValidateFleet("ns/fleet-a").ok());
  EXPECT_FALSE(ValidateFleet("").ok());
  EXPECT_FALSE(ValidateFleet(std::string(513, 'x')).ok());
  EXPECT_FALSE(ValidateHolder("a\tb").ok());
  EXPECT_FALSE(ValidateHolder(std::string("a\0b", 3)).ok());
  EXPECT_TRUE(ValidateHolder("pod-1 uid=42").ok());
  EXPECT_FALSE(ValidateTtl(0ms).ok());
  EXPECT_FALSE(ValidateTtl(-5ms).ok());
  EXPECT_TRUE(ValidateTtl(1ms).ok());
  EXPECT_TRUE(ValidateDistinct({3, 1, 2}).ok());
  auto dup = ValidateDistinct({3, 1, 3});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("shard 3 appears twice"), std::string::npos);
}

// The single-shard forms unwrap the batch forms.
class CannedStore final : public LeaseStore {
 public:
  Result<std::vector<Result<Lease>>> next = std::vector<Result<Lease>>{};
  Result<std::vector<Result<Lease>>> AcquireMany(std::string_view, const std::vector<uint32_t>&,
                                                 std::string_view, Millis) override {
    return next;
  }
  Result<std::vector<Result<Lease>>> RenewMany(std::string_view, const std::vector<ShardToken>&,
                                               std::string_view, Millis) override {
    return next;
  }
  Result<std::vector<Status>> ReleaseMany(std::string_view, const std::vector<ShardToken>&,
                                          std::string_view) override {
    if (!next.ok()) return next.error();
    std::vector<Status> out;
    for (const auto& r : *next) out.push_back(r.ok() ? Status(Ok{}) : Status(r.error()));
    return out;
  }
  Result<std::vector<Status>> RevokeMany(std::string_view,
                                         const std::vector<ShardToken>&) override {
    return std::vector<Status>{};
  }
  Result<LeaseSnapshot> Snapshot(std::string_view) override { return LeaseSnapshot{}; }
  Status DeleteFleet(std::string_view) override { return Ok{}; }
  Result<std::vector<bool>> PublishAssignments(std::string_view,
                                               const std::vector<PublishedAssignment>&) override {
    return std::vector<bool>{};
  }
  Status RemoveAssignments(std::string_view, const std::vector<PodGeneration>&) override {
    return Ok{};
  }
  Result<std::vector<PublishedAssignment>> ListAssignments(std::string_view) override {
    return std::vector<PublishedAssignment>{};
  }
  Result<std::optional<PublishedAssignment>> ReadAssignment(std::string_view,
                                                            std::string_view) override {
    return std::optional<PublishedAssignment>{};
  }
};

TEST(LeaseStore, SingleFormsUnwrapBatchResults) {
  CannedStore s;
  s.next = std::vector<Result<Lease>>{Lease{2, 9, 100}};
  EXPECT_EQ(*s.Acquire("f", 2, "a", 1s), (Lease{2, 9, 100}));
  EXPECT_TRUE(s.Release("f", 2, "a", 9).ok());
  s.next = std::vector<Result<Lease>>{MakeError(ErrorCode::kFailedPrecondition, "held")};
  EXPECT_EQ(s.Renew("f", 2, "a", 9, 1s).error().code, ErrorCode::kFailedPrecondition);
  s.next = MakeError(ErrorCode::kTimeout, "slow");
  EXPECT_EQ(s.Acquire("f", 2, "a", 1s).error().code, ErrorCode::kTimeout);
  s.next = std::vector<Result<Lease>>{};
  EXPECT_EQ(s.Acquire("f", 2, "a", 1s).error().code, ErrorCode::kInternal);
}

TEST(PgArrays, LiteralsQuoteAndEscape) {
  EXPECT_EQ(PgIntArray({}), "{}");
  EXPECT_EQ(PgIntArray({1, -2, 30}), "{1,-2,30}");
  EXPECT_EQ(PgTextArray({"a", "b,c", "d\"e", "f\\g", "NULL", ""}),
            R"({"a","b,c","d\"e","f\\g","NULL",""})");
}

}  // namespace
}  // namespace agentfleet::sources::lease
