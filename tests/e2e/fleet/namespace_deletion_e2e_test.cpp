// `kubectl delete namespace` of a fleet whose lease store goes with it: the
// password Secret is deleted with the namespace and the store refuses the
// fleet's user. The finalizer tries the lease cleanup for its bound, then
// lets the fleet go with a Warning, and the namespace is gone — nobody strips
// a finalizer by hand.
#include "tests/e2e/fleet/fleet_harness.h"

namespace agentfleet {
namespace {

using kube::rest::resources::kNamespaces;

constexpr int kBoundSeconds = 5;

class NamespaceDeletionE2E : public FleetE2E {};

TEST_F(NamespaceDeletionE2E, ADeadStoreNeverHoldsTheNamespace) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();
  f["spec"].erase("autoscaling");
  f["spec"]["replicas"] = 2;
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), f).ok());
  // No leader election: its Lease would live in the namespace being deleted.
  StartController(/*leader_elect=*/false,
                  {"--finalizer-lease-timeout", std::to_string(kBoundSeconds)});
  ASSERT_TRUE(Eventually([&] { return LivePods().size() == 2; }, 60s)) << Diagnostics();
  ASSERT_TRUE(Eventually(
      [&] {
        auto fl = client_->Get(kPricingAgentFleets, ns(), "pricing");
        if (!fl) return false;
        for (const auto& x : (*fl)["metadata"].value("finalizers", Json::array())) {
          if (x == "agentfleet.io/lease-cleanup") return true;
        }
        return false;
      },
      30s));

  // The store goes: its user is deleted (and with it every connection of it).
  std::string out;
  ASSERT_EQ(testing::Shell("redis-cli -p " + std::to_string(RedisPort()) + " ACL DELUSER " +
                               std::string(kRedisUser),
                           &out),
            0)
      << out;
  const auto t0 = SteadyClock::now();
  ASSERT_TRUE(client_->Delete(kNamespaces, "", ns()).ok());
  const bool gone = Eventually([&] { return !client_->Get(kNamespaces, "", ns()).ok(); }, 120s);
  const double took = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const std::string log = ReadFile(controller_.log);
  ASSERT_TRUE(gone) << "the namespace is still there after 120 s; controller log "
                    << controller_.log;
  EXPECT_NE(log.find("finalizer removed without lease cleanup"), std::string::npos) << log;
  EXPECT_NE(log.find("gave up after " + std::to_string(kBoundSeconds) + "s"), std::string::npos);
  EXPECT_EQ(log.find(kPassword), std::string::npos) << "the password in the log";
  std::cout << "namespace deletion with a dead lease store: gone after " << took << " s (bound "
            << kBoundSeconds << " s)\n";
  EXPECT_EQ(controller_.Stop(), 0);
}

}  // namespace
}  // namespace agentfleet
