// What the installation lets a fleet do with credentials, on the unit tier:
// the operator's cloud identity only where lent (--allow-operator-cloud-identity),
// and credentials without TLS refused, warned about or allowed
// (--credential-transport). The same on the real control plane and a real
// Redis: tests/integration/fleet/reconciler/reconciler_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/sources/queue/aws_credentials.h"
#include "tests/unit/fleet/reconciler/reconciler_fixture.h"

namespace agentfleet::fleet::reconciler::testing {
namespace {

using kube::controller::ReconcileResult;

class ReconcilerCredentialsTest : public ReconcilerFixture {
 protected:
  size_t Count(const std::string& reason) {
    auto r = EventReasons();
    return static_cast<size_t>(std::count(r.begin(), r.end(), reason));
  }
  // An SQS fleet without credentialsSecretRef, its leases on Redis over TLS.
  static Json SqsFleet(const std::string& queue_url) {
    Json f = ManualFleet(2, 8);
    f["spec"]["queue"] = {{"sqs", {{"queueURL", queue_url}, {"region", "eu-west-1"}}}};
    f["spec"]["leases"]["redis"]["url"] = "rediss://redis.agentfleet-demo.svc:6379/0";
    return f;
  }
};

// --- the operator's cloud identity ---

TEST_F(ReconcilerCredentialsTest, SqsWithoutSecretIsCredentialsRequiredAndAsksNothing) {
  Apply(SqsFleet("https://sqs.eu-west-1.amazonaws.com/123456789012/orders"));
  auto r = Pass();
  EXPECT_EQ(r.kind(), ReconcileResult::Kind::kRequeueAfter);
  EXPECT_EQ(sources_.queue_opens(), 0) << "no request may be made with anyone's identity";
  EXPECT_EQ(Condition("Degraded").value("reason", ""), "CredentialsRequired");
  EXPECT_EQ(Condition("Degraded").value("message", ""),
            "spec.queue.sqs has no credentialsSecretRef and the installation does not lend the "
            "operator's identity to fleets (--allow-operator-cloud-identity)");
  EXPECT_EQ(Count("CredentialsRequired"), 1u);
  clock_.Advance(std::chrono::seconds(5));
  Pass();
  EXPECT_EQ(Count("CredentialsRequired"), 1u) << "one Event per change, not per pass";
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 0u);
}

TEST_F(ReconcilerCredentialsTest, WhereLentTheOperatorsIdentitySignsTheQueue) {
  identity_.aws = sources::queue::StaticAwsCredentials({"AKIDOPERATOR", "operator-secret", ""},
                                                       "environment variables");
  Restart();
  Apply(SqsFleet("https://sqs.eu-west-1.amazonaws.com/123456789012/orders"));
  Pass();
  ASSERT_EQ(sources_.queue_opens(), 1);
  const auto config = sources_.last_queue_config();
  ASSERT_TRUE(config.has_value());
  const auto* sqs = std::get_if<sources::queue::SqsConfig>(&config.value());
  ASSERT_NE(sqs, nullptr);
  EXPECT_TRUE(sqs->credentials_provider.get() == identity_.aws.get());
  EXPECT_EQ(Condition("Degraded").value("reason", ""), "AsExpected");
  EXPECT_EQ(Count("CredentialsRequired"), 0u);
}

// --- credentials without TLS ---

TEST_F(ReconcilerCredentialsTest, WarnReportsTheFieldsOnceAndWorks) {
  Apply(ManualFleet(2, 8));  // Redis AUTH over redis:// for the queue and the leases
  Pass();
  Json c = Condition("InsecureCredentialTransport");
  EXPECT_EQ(c.value("status", ""), "True");
  EXPECT_EQ(c.value("reason", ""), "ClearText");
  const std::string message = c.value("message", "");
  EXPECT_NE(message.find("spec.queue.redisStreams.passwordSecretRef"), std::string::npos);
  EXPECT_NE(message.find("spec.leases.redis.passwordSecretRef"), std::string::npos);
  EXPECT_EQ(message.find("s3cret-PASSWORD"), std::string::npos);
  EXPECT_EQ(Count("InsecureCredentialTransport"), 1u);
  EXPECT_EQ(Pods().size(), 2u) << "warn: the fleet works";
  EXPECT_EQ(sources_.queue_opens(), 1);

  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Condition("Ready").value("status", "") == "True";
  }));
  const size_t writes = FleetWrites();
  for (int i = 0; i < 3; ++i) Pass();
  EXPECT_EQ(FleetWrites(), writes) << "a converged fleet costs no write, the warning included";
  EXPECT_EQ(Count("InsecureCredentialTransport"), 1u);

  // TLS now: the condition goes.
  Json f = ManualFleet(2, 8);
  f["spec"]["queue"]["redisStreams"]["url"] = "rediss://redis.agentfleet-demo.svc:6379/0";
  f["spec"]["leases"]["redis"]["url"] = "rediss://redis.agentfleet-demo.svc:6379/0";
  Apply(f);
  Pass();
  EXPECT_TRUE(Condition("InsecureCredentialTransport").is_null());
}

TEST_F(ReconcilerCredentialsTest, TlsOnlyRefusesWithoutConnectingOrDeletingAnything) {
  Apply(ManualFleet(2, 8));
  ASSERT_TRUE(PassUntil([&] {
    MakeAllReady();
    AgentsAct();
    return Condition("Ready").value("status", "") == "True";
  }));
  const int opens = sources_.queue_opens() + sources_.lease_opens();
  const int reads = sources_.queue().reads();
  transport_ = CredentialTransport::kTlsOnly;
  Restart();
  Apply(ManualFleet(1, 8));  // a scale-down the refusal must not carry out
  auto r = Pass();
  EXPECT_EQ(r.kind(), ReconcileResult::Kind::kDone) << "retrying cannot help";
  EXPECT_EQ(sources_.queue_opens() + sources_.lease_opens(), opens) << "no connection made";
  EXPECT_EQ(sources_.queue().reads(), reads);
  EXPECT_EQ(Pods().size(), 2u);
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 0u);
  for (const auto& [name, p] : Pods()) {
    EXPECT_FALSE(p["metadata"]["annotations"].contains("agentfleet.io/retiring")) << name;
  }
  Json ready = Condition("Ready");
  EXPECT_EQ(ready.value("status", ""), "False");
  EXPECT_EQ(ready.value("reason", ""), "InsecureCredentialTransport");
  EXPECT_NE(ready.value("message", "").find("spec.leases.redis.passwordSecretRef"),
            std::string::npos);
  EXPECT_NE(ready.value("message", "").find("--credential-transport=tls-only"), std::string::npos);
  EXPECT_EQ(Condition("InsecureCredentialTransport").value("reason", ""), "Refused");
  EXPECT_EQ(Count("InsecureCredentialTransport"), 2u) << "warned under warn, then refused";
  Pass();
  EXPECT_EQ(Count("InsecureCredentialTransport"), 2u);

  // A new fleet under tls-only never gets a pod.
  client_.Remove(kube::rest::resources::kPricingAgentFleets, kNs, kFleet);
  for (const auto& [name, p] : Pods()) client_.Remove(kube::rest::resources::kPods, kNs, name);
  Apply(ManualFleet(2, 8));
  Pass();
  EXPECT_TRUE(Pods().empty());
}

TEST_F(ReconcilerCredentialsTest, TlsOnlyLetsTlsFleetsThrough) {
  transport_ = CredentialTransport::kTlsOnly;
  Restart();
  Json f = ManualFleet(2, 8);
  f["spec"]["queue"]["redisStreams"]["url"] = "rediss://redis.agentfleet-demo.svc:6379/0";
  f["spec"]["leases"]["redis"]["url"] = "rediss://redis.agentfleet-demo.svc:6379/0";
  Apply(f);
  Pass();
  EXPECT_EQ(Pods().size(), 2u);
  EXPECT_TRUE(Condition("InsecureCredentialTransport").is_null());
  EXPECT_EQ(Count("InsecureCredentialTransport"), 0u);
}

TEST_F(ReconcilerCredentialsTest, AllowSaysNothing) {
  transport_ = CredentialTransport::kAllow;
  Restart();
  Apply(ManualFleet(2, 8));
  Pass();
  EXPECT_EQ(Pods().size(), 2u);
  EXPECT_TRUE(Condition("InsecureCredentialTransport").is_null());
  EXPECT_EQ(Count("InsecureCredentialTransport"), 0u);
}

TEST_F(ReconcilerCredentialsTest, TlsOnlyDeletionSkipsTheLeaseCleanupRatherThanSendAPassword) {
  Apply(ManualFleet(1, 4));
  Pass();  // under warn: the finalizer is added
  transport_ = CredentialTransport::kTlsOnly;
  Restart();
  const int lease_opens = sources_.lease_opens();
  ASSERT_TRUE(client_.Delete(kube::rest::resources::kPricingAgentFleets, kNs, kFleet).ok());
  for (int i = 0; i < 3 && client_.Peek(kube::rest::resources::kPricingAgentFleets, kNs, kFleet);
       ++i) {
    for (const auto& [name, p] : Pods()) client_.Remove(kube::rest::resources::kPods, kNs, name);
    Pass();
  }
  EXPECT_FALSE(client_.Peek(kube::rest::resources::kPricingAgentFleets, kNs, kFleet).has_value())
      << "the finalizer must not hold the fleet";
  EXPECT_EQ(sources_.lease_opens(), lease_opens);
  EXPECT_EQ(sources_.leases().deletes(), 0);
  EXPECT_EQ(Count("LeaseCleanupSkipped"), 1u);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler::testing
