// The product end to end: agentfleet-controller as shipped, against the local
// control plane and a real Redis, with a real pricing-agent process for every
// Ready pod (agent-kubelet runs them, each reading its assignment as in
// production: a downward-API file refreshed once a minute, and the copy the
// operator publishes in the lease store). One fleet goes through its life:
// created → 1 pod holding every shard; a backlog → scaled up, shards balanced
// and held; drained → scaled down, retiring pods deleted only once they let
// go; a pod deleted by hand → replaced; manual mode and `kubectl scale`;
// deleted → pods collected, lease records gone. All along a sampler reads the
// lease table (~100/s) and checks that no shard ever has two valid holders,
// tokens only grow, and no pod the operator deleted still held a lease.
#include "tests/e2e/fleet/fleet_harness.h"

namespace agentfleet {
namespace {

TEST_F(FleetE2E, ScalesWithItsQueueHandsOffSafelyAndCleansUp) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  auto created = client_->Create(kPricingAgentFleets, ns(), Fleet());
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Watchdog dog(OpenLeases(), ns());
  StartController();
  StartKubelet();
  const auto t0 = SteadyClock::now();
  auto since = [&] { return std::chrono::duration<double>(SteadyClock::now() - t0).count(); };
  std::ostringstream timeline;

  // --- 1. one pod holds every shard ---
  ASSERT_TRUE(Eventually([&] { return Settled(1, dog); }, 90s)) << Diagnostics();
  timeline << "  " << since() << " s: 1 pod holds all " << kShards << " shards\n";

  // --- 2. a backlog of 2,000 tasks (20 ms each: 50/s per agent) → 4 pods ---
  const int kTasks = 2000;
  {
    auto redis = Redis();
    std::mt19937 rng(5);
    std::vector<sources::redis::Client::Args> cmds;
    for (int i = 0; i < kTasks; ++i) {
      std::string product = "e2e-" + std::to_string(i);
      uint32_t shard = sources::protocol::ShardOf(product, kShards);
      cmds.push_back({"XADD", prefix_ + "tasks:" + std::to_string(shard), "*", "task", product,
                      "product", product, "price",
                      std::to_string(std::uniform_int_distribution<int>(100, 99'999)(rng))});
    }
    ASSERT_TRUE(redis->Pipeline(cmds).ok());
  }
  const auto pushed = SteadyClock::now();
  std::vector<PodState> four;
  ASSERT_TRUE(Eventually([&] { return Settled(4, dog, &four); }, 60s)) << Diagnostics();
  timeline << "  " << since() << " s: 4 pods, shards balanced and held ("
           << std::chrono::duration<double>(SteadyClock::now() - pushed).count()
           << " s after the backlog)\n";

  // --- 3. drained: back to 1 pod, every task priced once ---
  auto source = TaskQueue();
  ASSERT_TRUE(source.ok());
  auto redis = Redis();
  auto results = [&] {
    auto r = redis->Command({"HLEN", prefix_ + "results:{" + ns() + "/pricing}:prices"});
    return r.ok() ? r->integer : -1;
  };
  ASSERT_TRUE(Eventually(
      [&] {
        auto d = (*source)->ReadDepth();
        return d.ok() && d->total == 0 && results() == kTasks;
      },
      90s))
      << "results " << results() << "/" << kTasks << "\n"
      << Diagnostics();
  timeline << "  " << since() << " s: backlog drained, " << results() << " results\n";
  std::vector<PodState> one;
  ASSERT_TRUE(Eventually([&] { return Settled(1, dog, &one); }, 90s)) << Diagnostics();
  timeline << "  " << since() << " s: scaled down to 1 pod, " << dog.Deleted()
           << " pods deleted after draining (pod samples failed: " << dog.ListErrors() << ")\n";
  // The sampler lists pods every 100 ms: it may see the last deletion a moment later.
  EXPECT_TRUE(Eventually([&] { return dog.Deleted() >= 3; }, 5s))
      << "pods created (+) and deleted (-): " << dog.PodLog();

  // --- 4. the last pod deleted by hand: replaced, its shards reassigned ---
  dog.Excuse(one[0].name);
  ASSERT_TRUE(client_->Delete(kPods, ns(), one[0].name).ok());
  std::vector<PodState> replaced;
  ASSERT_TRUE(
      Eventually([&] { return Settled(1, dog, &replaced) && replaced[0].uid != one[0].uid; }, 90s))
      << Diagnostics();
  timeline << "  " << since() << " s: deleted pod replaced by " << replaced[0].name << "\n";

  // --- 5. manual mode, then `kubectl scale` ---
  auto manual =
      client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                     {{"spec", {{"autoscaling", nullptr}, {"replicas", 2}}}});
  ASSERT_TRUE(manual.ok()) << manual.error().ToString();
  ASSERT_TRUE(Eventually([&] { return Settled(2, dog); }, 60s)) << Diagnostics();
  std::string out;
  ASSERT_EQ(testing::RunTool("kubectl", "-n " + ns() + " scale paf/pricing --replicas=3", &out), 0)
      << out;
  ASSERT_TRUE(Eventually([&] { return Settled(3, dog); }, 60s)) << Diagnostics();
  ASSERT_TRUE(Eventually(
      [&] {
        Json st = Status();
        return st.value("replicas", -1) == 3 && st.value("readyReplicas", -1) == 3 &&
               st["shards"].value("held", -1) == static_cast<int>(kShards);
      },
      30s))
      << Status().dump();
  timeline << "  " << since() << " s: manual mode, kubectl scale → 3 pods settled\n";

  // --- 6. the fleet deleted: pods collected, lease records gone ---
  for (const auto& p : LivePods()) dog.Excuse(p.name);  // the garbage collector deletes them
  ASSERT_TRUE(client_->Delete(kPricingAgentFleets, ns(), "pricing").ok());
  ASSERT_TRUE(Eventually(
      [&] {
        auto got = client_->Get(kPricingAgentFleets, ns(), "pricing");
        return !got.ok() && got.error().code == ErrorCode::kNotFound;
      },
      60s))
      << Diagnostics();
  EXPECT_TRUE(Eventually([&] { return LivePods().empty(); }, 150s)) << Diagnostics();
  dog.Stop();
  auto snapshot = OpenLeases()->Snapshot(ns() + "/pricing");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->records.empty()) << snapshot->records.size() << " lease records left";
  timeline << "  " << since() << " s: fleet deleted, pods collected\n";

  std::cout << "fleet e2e run: " << kShards << " shards, " << kTasks << " tasks\n"
            << timeline.str() << "  lease snapshots " << dog.Snapshots() << ", hand-offs "
            << dog.Handoffs() << ", max valid holders per shard " << dog.MaxValidPerShard()
            << ", violations " << dog.Violations().size()
            << "\n  pods created (+) and deleted (-): " << dog.PodLog() << "\n";
  for (const auto& v : dog.Violations()) ADD_FAILURE() << v;
  EXPECT_LE(dog.MaxValidPerShard(), 1);
  EXPECT_GT(dog.Handoffs(), 0);

  EXPECT_EQ(kubelet_.Stop(), 0) << ReadFile(kubelet_.log);
  EXPECT_EQ(controller_.Stop(), 0) << "controller did not stop cleanly; log " << controller_.log;
  std::string logs = ReadFile(controller_.log) + ReadFile(kubelet_.log);
  EXPECT_EQ(logs.find(kPassword), std::string::npos) << "the Redis password leaked into a log";
}

}  // namespace
}  // namespace agentfleet
