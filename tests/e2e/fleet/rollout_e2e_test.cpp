// Rolling updates end to end, with real agents working a backlog: a new image
// replaces every pod, each shard handed over once and never held twice, every
// task priced; a revision whose pods never turn Ready (they cannot be
// scheduled) stops with the old pods holding every shard, reports
// ProgressDeadlineExceeded, and a revert ends it without replacing anything;
// a newer image while one is rolling out supersedes it.
#include "tests/e2e/fleet/fleet_harness.h"

namespace agentfleet {
namespace {

constexpr int kReplicas = 4;

class RolloutE2E : public FleetE2E {
 protected:
  Json RollingFleet() const {
    Json f = ManualFleet(kReplicas);
    f["spec"]["progressDeadlineSeconds"] = 20;
    return f;
  }

  void PushTasks(int first, int count) {
    auto redis = Redis();
    std::vector<sources::redis::Client::Args> cmds;
    for (int i = first; i < first + count; ++i) {
      std::string product = "roll-" + std::to_string(i);
      uint32_t shard = sources::protocol::ShardOf(product, kShards);
      cmds.push_back({"XADD", prefix_ + "tasks:" + std::to_string(shard), "*", "task", product,
                      "product", product, "price", std::to_string(100 + i)});
    }
    ASSERT_TRUE(redis->Pipeline(cmds).ok());
  }

  int64_t Results() {
    auto r = Redis()->Command({"HLEN", prefix_ + "results:{" + ns() + "/pricing}:prices"});
    return r.ok() ? r->integer : -1;
  }

  agentfleet::Status Image(const std::string& tag) {
    return Patch(
        {{"spec",
          {{"template",
            {{"spec",
              {{"containers", Json::array({{{"name", "agent"},
                                            {"image", "agentfleet/pricing-agent:" + tag},
                                            {"imagePullPolicy", "IfNotPresent"}}})}}}}}}}});
  }

  agentfleet::Status Patch(const Json& patch) {
    auto r = client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                            patch);
    if (!r) return r.error();
    return Ok{};
  }

  // Every pod of the current template, shards balanced and held.
  bool RolledOut(Watchdog& dog) {
    auto f = client_->Get(kPricingAgentFleets, ns(), "pricing");
    if (!f || !f->contains("status")) return false;
    const Json& st = (*f)["status"];
    return st.value("observedGeneration", -1) == (*f)["metadata"].value("generation", -2) &&
           st.value("updatedReplicas", -1) == kReplicas && st.value("replicas", -1) == kReplicas &&
           !st.value("updateRevision", "").empty() &&
           st.value("currentRevision", "") == st.value("updateRevision", "") &&
           Settled(kReplicas, dog);
  }

  std::set<std::string> Uids() {
    std::set<std::string> out;
    for (const auto& p : LivePods()) out.insert(p.uid);
    return out;
  }

  Json Condition(const std::string& type) {
    for (const auto& c : Status().value("conditions", Json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return Json::object();
  }
};

TEST_F(RolloutE2E, ANewImageRollsShardByShardAndABadRevisionStopsUntilReverted) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  auto created = client_->Create(kPricingAgentFleets, ns(), RollingFleet());
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Watchdog dog(OpenLeases(), ns());
  StartController();
  StartKubelet();
  ASSERT_TRUE(Eventually([&] { return RolledOut(dog); }, 90s)) << Diagnostics();
  const std::set<std::string> first = Uids();
  const std::string moves =
      "agentfleet_rollout_shard_moves_total{namespace=\"" + ns() + "\",fleet=\"pricing\"}";

  // --- 1. a new image while the agents work a backlog ---
  const int kTasks = 1500;
  PushTasks(0, kTasks);
  const auto t0 = SteadyClock::now();
  ASSERT_TRUE(Image("0.2.0").ok());
  auto replaced = [&] {
    for (const auto& uid : Uids()) {
      if (first.count(uid)) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually([&] { return RolledOut(dog) && replaced(); }, 180s)) << Diagnostics();
  const double took = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const std::set<std::string> second = Uids();
  for (const auto& uid : second) EXPECT_EQ(first.count(uid), 0u) << "pod " << uid << " kept";
  const std::string revision = Status().value("updateRevision", "");
  auto pods = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
  ASSERT_TRUE(pods.ok());
  for (const auto& p : pods->items) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    EXPECT_EQ(p["metadata"]["labels"].value("agentfleet.io/template-hash", ""), revision);
    EXPECT_EQ(p["spec"]["containers"][0]["image"], "agentfleet/pricing-agent:0.2.0");
  }
  ASSERT_TRUE(Eventually([&] { return Results() == kTasks; }, 120s))
      << "results " << Results() << "/" << kTasks << "\n"
      << Diagnostics();
  EXPECT_TRUE(Eventually([&] { return Metric(moves) == kShards; }, 10s))
      << "rollout shard moves " << Metric(moves) << ", want " << kShards;
  EXPECT_EQ(Metric("agentfleet_updated_replicas{namespace=\"" + ns() + "\",fleet=\"pricing\"}"),
            kReplicas);
  // The process metrics dashboards expect, from the shipped binary.
  EXPECT_GT(Metric("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Metric("process_open_fds"), 3);

  // --- 2. a revision whose pods cannot be scheduled: it stops, old pods serve ---
  ASSERT_TRUE(
      Patch({{"spec",
              {{"template", {{"spec", {{"nodeSelector", {{"agentfleet.io/e2e", "nowhere"}}}}}}}}}})
          .ok());
  ASSERT_TRUE(Eventually(
      [&] {
        Json c = Condition("Progressing");
        return c.value("status", "") == "False" &&
               c.value("reason", "") == "ProgressDeadlineExceeded";
      },
      90s))
      << Diagnostics();
  std::set<std::string> serving;
  for (const auto& p : LivePods()) {
    if (!p.shards.empty()) serving.insert(p.uid);
  }
  EXPECT_EQ(serving, second) << "the old pods keep their shards; " << Diagnostics();
  std::map<std::string, std::string> uid_of;
  for (const auto& p : LivePods()) uid_of[p.name] = p.uid;
  for (const auto& [shard, holder] : dog.Holders()) {
    EXPECT_EQ(second.count(uid_of[holder]), 1u) << "shard " << shard << " held by " << holder;
  }
  EXPECT_EQ(dog.Holders().size(), kShards);

  // --- 3. the revert: the old pods are current again, nothing is replaced ---
  ASSERT_TRUE(Patch({{"spec", {{"template", {{"spec", {{"nodeSelector", nullptr}}}}}}}}).ok());
  ASSERT_TRUE(Eventually([&] { return RolledOut(dog) && Uids() == second; }, 90s)) << Diagnostics();
  EXPECT_EQ(Status().value("updateRevision", ""), revision);
  EXPECT_EQ(Metric(moves), kShards) << "the revert moved shards";

  // --- 4. a newer image while one is rolling out supersedes it ---
  PushTasks(kTasks, kTasks);
  const double moves_before = Metric(moves);
  ASSERT_TRUE(Image("0.3.0").ok());
  // Mid-rollout: a pod of 0.3.0 holds a lease while a pod of 0.2.0 still runs.
  ASSERT_TRUE(Eventually(
      [&] {
        std::set<std::string> of_new;
        bool old_alive = false;
        for (const auto& p : LivePods()) {
          if (p.image.ends_with(":0.3.0")) of_new.insert(p.name);
          old_alive = old_alive || p.image.ends_with(":0.2.0");
        }
        for (const auto& [shard, holder] : dog.Holders()) {
          if (of_new.count(holder) && old_alive) return true;
        }
        return false;
      },
      60s))
      << Diagnostics();
  const std::string superseded = Status().value("updateRevision", "");
  const auto t1 = SteadyClock::now();
  ASSERT_TRUE(Image("0.4.0").ok());
  auto all_of = [&](const std::string& suffix) {
    for (const auto& p : LivePods()) {
      if (!p.image.ends_with(suffix)) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually([&] { return RolledOut(dog) && all_of(":0.4.0"); }, 180s))
      << Diagnostics();
  const double took_superseding = std::chrono::duration<double>(SteadyClock::now() - t1).count();
  const std::string latest = Status().value("updateRevision", "");
  EXPECT_NE(latest, superseded);
  EXPECT_NE(latest, revision);
  ASSERT_TRUE(Eventually([&] { return Results() == 2 * kTasks; }, 120s))
      << "results " << Results() << "/" << 2 * kTasks << "\n"
      << Diagnostics();
  const double superseding_moves = Metric(moves) - moves_before;
  // Every shard reaches a 0.4.0 pod; one held by a 0.3.0 pod on the way moved twice.
  EXPECT_GE(superseding_moves, kShards);
  EXPECT_LE(superseding_moves, 2 * kShards);
  // Within the surge throughout, the unschedulable revision's extra pod included.
  EXPECT_LE(dog.MaxLive(), static_cast<size_t>(kReplicas + 1)) << dog.PodLog();

  dog.Stop();
  std::cout << "rollout e2e: " << kReplicas << " pods, " << kShards << " shards, " << kTasks
            << " tasks: rolled out in " << took << " s; superseded mid-rollout and rolled out in "
            << took_superseding << " s with " << superseding_moves
            << " shard moves; rollout shard moves in all " << Metric(moves)
            << "; most pods alive at once " << dog.MaxLive() << "; lease snapshots "
            << dog.Snapshots() << ", max valid holders per shard " << dog.MaxValidPerShard()
            << ", violations " << dog.Violations().size()
            << "\n  pods created (+) and deleted (-): " << dog.PodLog() << "\n";
  for (const auto& v : dog.Violations()) ADD_FAILURE() << v;
  EXPECT_LE(dog.MaxValidPerShard(), 1);
  EXPECT_EQ(kubelet_.Stop(), 0) << ReadFile(kubelet_.log);
  EXPECT_EQ(controller_.Stop(), 0) << "controller did not stop cleanly; log " << controller_.log;
}

}  // namespace
}  // namespace agentfleet
