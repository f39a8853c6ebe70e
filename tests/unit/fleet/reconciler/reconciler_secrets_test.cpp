// A fleet's Secrets are read when they may have changed, not every pass: once
// per refresh interval, at once before a source is opened again, and after a
// source refused the credentials. Fleets of a namespace share the reads.
#include <gtest/gtest.h>

#include "controller/base/base64.h"
#include "tests/unit/fleet/reconciler/reconciler_fixture.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

using kube::rest::resources::kPricingAgentFleets;
using kube::rest::resources::kSecrets;

class ReconcilerSecretsTest : public ReconcilerFixture {
 protected:
  size_t SecretReads() const { return client_.CountCalls(Verb::kGet, "secrets"); }
  void Rotate(const std::string& password) {
    Json secret = *client_.Peek(kSecrets, kNs, "pricing-redis");
    secret["data"]["password"] = Base64Encode(password);
    client_.Put(kSecrets, secret);
  }
  std::string Degraded() { return Condition("Degraded").value("reason", ""); }
};

TEST_F(ReconcilerSecretsTest, ConvergedPassesReadTheSecretOncePerRefreshInterval) {
  Apply(ManualFleet(1, 4));
  Pass();
  ASSERT_EQ(SecretReads(), 1u);
  // Passes every 5 s for just under the interval (300 s): no read.
  for (int i = 0; i < 59; ++i) {
    clock_.Advance(std::chrono::seconds(5));
    Pass();
  }
  EXPECT_EQ(SecretReads(), 1u);
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_EQ(SecretReads(), 2u);
  EXPECT_EQ(sources_.queue_opens(), 1);  // the same value: nothing reopened
}

TEST_F(ReconcilerSecretsTest, ARotatedValueIsUsedWithinTheInterval) {
  Apply(ManualFleet(1, 4));
  Pass();
  Rotate("rotated");
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_EQ(sources_.queue_opens(), 1);  // still the cached value, which still works
  clock_.Advance(std::chrono::seconds(300));
  Pass();
  EXPECT_EQ(sources_.queue_opens(), 2);
  EXPECT_EQ(sources_.lease_opens(), 2);
}

TEST_F(ReconcilerSecretsTest, ARefusedReadRereadsTheSecretAtOnce) {
  Apply(ManualFleet(1, 4));
  Pass();
  Rotate("rotated");
  sources_.queue().Fail(MakeError(ErrorCode::kUnauthorized, "WRONGPASS"));
  clock_.Advance(std::chrono::seconds(5));
  Pass();  // refused with the cached value
  EXPECT_EQ(SecretReads(), 1u);
  sources_.queue().SetDepth(0);
  clock_.Advance(std::chrono::seconds(5));
  Pass();  // the Secret read again, the new value opens the sources again
  EXPECT_EQ(SecretReads(), 2u);
  EXPECT_EQ(sources_.queue_opens(), 2);
  EXPECT_EQ(Degraded(), "AsExpected");
}

TEST_F(ReconcilerSecretsTest, ARefusedOpenRereadsTheSecretBeforeTheNextAttempt) {
  Apply(ManualFleet(1, 4));
  sources_.FailQueueOpen(MakeError(ErrorCode::kUnauthorized, "WRONGPASS"));
  Pass();
  EXPECT_EQ(Degraded(), "QueueSourceAccessDenied");
  ASSERT_EQ(SecretReads(), 1u);
  Pass();  // within the open's backoff: nothing attempted, nothing read
  EXPECT_EQ(SecretReads(), 1u);
  Rotate("rotated");
  sources_.FailQueueOpen(std::nullopt);
  clock_.Advance(std::chrono::seconds(1));
  Pass();
  EXPECT_EQ(SecretReads(), 2u);
  EXPECT_EQ(Degraded(), "AsExpected");
}

TEST_F(ReconcilerSecretsTest, AMissingSecretIsReadAgainAtTheNextPass) {
  Apply(ManualFleet(1, 4));
  client_.Remove(kSecrets, kNs, "pricing-redis");
  Pass();
  ASSERT_EQ(Degraded(), "QueueSourceNotFound");
  client_.Put(kSecrets, {{"apiVersion", "v1"},
                         {"kind", "Secret"},
                         {"metadata", {{"name", "pricing-redis"}, {"namespace", kNs}}},
                         {"data", {{"password", Base64Encode("created-late")}}}});
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_EQ(Degraded(), "AsExpected");
}

TEST_F(ReconcilerSecretsTest, FleetsOfANamespaceShareTheirReads) {
  Apply(ManualFleet(1, 4));
  Json other = ManualFleet(1, 4);
  other["metadata"]["name"] = "pricing-eu";
  client_.Put(kPricingAgentFleets, other);
  Sync();
  ASSERT_EQ(reconciler_->Reconcile("shop/pricing", log_).error(), nullptr);
  ASSERT_EQ(reconciler_->Reconcile("shop/pricing-eu", log_).error(), nullptr);
  EXPECT_EQ(SecretReads(), 1u);
}

TEST_F(ReconcilerSecretsTest, AFailedReReadKeepsTheValueThatWorks) {
  Apply(ManualFleet(1, 4));
  Pass();
  clock_.Advance(std::chrono::seconds(300));
  client_.FailNext(Verb::kGet, "secrets", MakeError(ErrorCode::kUnavailable, "API restarting"));
  Pass();
  EXPECT_EQ(SecretReads(), 2u);
  EXPECT_EQ(sources_.queue_opens(), 1);  // nothing closed for a passing API fault
  EXPECT_EQ(Degraded(), "AsExpected");
}

TEST_F(ReconcilerSecretsTest, ADeletedSecretIsNotUsedAfterItsReRead) {
  Apply(ManualFleet(1, 4));
  Pass();
  client_.Remove(kSecrets, kNs, "pricing-redis");
  clock_.Advance(std::chrono::seconds(300));
  Pass();
  EXPECT_EQ(Degraded(), "QueueSourceNotFound");
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
