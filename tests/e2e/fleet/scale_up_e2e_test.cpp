// A scale-up costs one API write per new pod, and every new pod carries its
// shards from its first moment: judged by the API server's audit log (the
// operator's writes) and by a watch of the pods (each pod's first version),
// with real agents taking the leases and a watchdog sampling the lease table.
#include "controller/sources/protocol/shard_ranges.h"
#include "tests/e2e/fleet/fleet_harness.h"
#include "tests/support/audit_log.h"

namespace agentfleet {
namespace {

class ScaleUpE2E : public FleetE2E {
 protected:
  // The shards annotation of each pod as the API server first showed it.
  class FirstVersions {
   public:
    FirstVersions(kube::rest::Client& client, const std::string& ns) {
      auto watch = client.Watch(kube::rest::resources::kPods, ns,
                                {.label_selector = "agentfleet.io/fleet=pricing"});
      EXPECT_TRUE(watch.ok()) << watch.error().ToString();
      if (!watch.ok()) return;
      stream_ = std::move(*watch);
      thread_ = std::thread([this] {
        for (;;) {
          auto event = stream_->Next();
          if (!event.ok() || !event->has_value()) return;
          const Json& pod = (*event)->object;
          if ((*event)->type != "ADDED" || !pod.contains("metadata")) continue;
          std::lock_guard lock(mu_);
          first_.emplace(pod["metadata"].value("name", ""),
                         pod["metadata"]["annotations"].value("agentfleet.io/shards", ""));
        }
      });
    }
    ~FirstVersions() {
      if (stream_) stream_->Cancel();
      if (thread_.joinable()) thread_.join();
    }
    std::map<std::string, std::string> Get() {
      std::lock_guard lock(mu_);
      return first_;
    }

   private:
    std::unique_ptr<kube::rest::WatchStream> stream_;
    std::mutex mu_;
    std::map<std::string, std::string> first_;
    std::thread thread_;
  };

  // The operator's writes to pods in the fleet's namespace, by verb.
  std::map<std::string, int> PodWrites() {
    std::map<std::string, int> out;
    for (const auto& w : testing::AuditedWrites(ns())) {
      if (w.resource != "pods" || w.user_agent.rfind("agentfleet-controller/", 0) != 0) continue;
      ++out[w.verb];
    }
    return out;
  }
};

TEST_F(ScaleUpE2E, OneWritePerNewPodWhichCarriesItsShardsFromItsCreate) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  FirstVersions first(*client_, ns());
  Watchdog dog(OpenLeases(), ns());
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), ManualFleet(8)).ok());
  StartController();
  StartKubelet();
  ASSERT_TRUE(Eventually([&] { return Settled(8, dog); }, 90s)) << Diagnostics();
  auto writes = PodWrites();
  EXPECT_EQ(writes["create"], 8);
  EXPECT_EQ(writes["patch"], 0) << "a new fleet's pods were patched after their create";

  ASSERT_TRUE(client_
                  ->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                          {{"spec", {{"replicas", 16}}}})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return Settled(16, dog); }, 90s)) << Diagnostics();
  writes = PodWrites();
  EXPECT_EQ(writes["create"], 16);
  // Each old pod gives up one of its two shards: one patch each at most.
  EXPECT_LE(writes["patch"], 8);
  EXPECT_EQ(writes["delete"], 0);

  const auto firsts = first.Get();
  EXPECT_EQ(firsts.size(), 16u);
  for (const auto& [pod, shards] : firsts) {
    auto parsed = sources::protocol::ParseShardRanges(shards, kShards);
    EXPECT_TRUE(parsed.ok() && !parsed->empty())
        << pod << " was created without shards: '" << shards << "'";
  }
  EXPECT_TRUE(dog.Violations().empty()) << dog.Violations().front();
  EXPECT_EQ(controller_.Stop(), 0);
}

}  // namespace
}  // namespace agentfleet
