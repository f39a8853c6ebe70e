#include "controller/sources/lease/outcome.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::lease {
namespace {

Outcome Failed(std::optional<LeaseRecord> record, int64_t now_ms = 1000) {
  return Outcome{7, false, std::move(record), now_ms};
}

void ExpectFailure(const Result<Lease>& r, ErrorCode code, const std::string& phrase) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code);
  EXPECT_NE(r.error().message.find(phrase), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("shard 7 of fleet f"), std::string::npos) << r.error().message;
}

TEST(LeaseOutcome, SuccessBecomesTheLease) {
  Outcome o{7, true, LeaseRecord{7, "a", 42, 5000}, 1000};
  auto r = ToLease(Op::kAcquire, "f", "a", 0, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Lease{7, 42, 5000}));
}

TEST(LeaseOutcome, AcquireHeldNamesHolderTokenAndRemainingTime) {
  auto r = ToLease(Op::kAcquire, "f", "b", 0, Failed(LeaseRecord{7, "a", 42, 3500}));
  ExpectFailure(r, ErrorCode::kFailedPrecondition, "held by a (token 42) for another 2500 ms");
}

TEST(LeaseOutcome, AcquireLostToAConcurrentInsert) {
  ExpectFailure(ToLease(Op::kAcquire, "f", "b", 0, Failed(std::nullopt)),
                ErrorCode::kFailedPrecondition, "acquired concurrently");
}

TEST(LeaseOutcome, RenewFailuresSayWhy) {
  ExpectFailure(ToLease(Op::kRenew, "f", "a", 1, Failed(std::nullopt)),
                ErrorCode::kFailedPrecondition, "never acquired");
  ExpectFailure(ToLease(Op::kRenew, "f", "a", 1, Failed(LeaseRecord{7, "", 1, 0})),
                ErrorCode::kFailedPrecondition, "released");
  ExpectFailure(ToLease(Op::kRenew, "f", "a", 1, Failed(LeaseRecord{7, "b", 1, 9000})),
                ErrorCode::kFailedPrecondition, "held by b, not by a");
  ExpectFailure(ToLease(Op::kRenew, "f", "a", 1, Failed(LeaseRecord{7, "a", 2, 9000})),
                ErrorCode::kFailedPrecondition, "token 1 is stale; the current token is 2");
  ExpectFailure(ToLease(Op::kRenew, "f", "a", 2, Failed(LeaseRecord{7, "a", 2, 900})),
                ErrorCode::kFailedPrecondition, "expired 100 ms ago");
}

TEST(LeaseOutcome, ReleaseOfExpiredLeaseIsNotAnExpiryFailure) {
  // The store refused although holder and token match and expiry does not
  // matter for release: the row moved under us; retryable.
  ExpectFailure(ToLease(Op::kRelease, "f", "a", 2, Failed(LeaseRecord{7, "a", 2, 900})),
                ErrorCode::kConflict, "changed during the call");
}

}  // namespace
}  // namespace agentfleet::sources::lease
