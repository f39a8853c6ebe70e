// The product end to end: agentfleet-controller as shipped, against the local
// control plane and a real Redis, with a real pricing-agent process for every
// Ready pod (agent-kubelet runs them, each reading its assignment through the
// API). One fleet goes through its life: created → 1 pod holding every shard;
// a backlog → scaled up, shards balanced and held; drained → scaled down,
// retiring pods deleted only once they let go; a pod deleted by hand →
// replaced; manual mode and `kubectl scale`; deleted → pods collected, lease
// records gone. All along a sampler reads the lease table (~100/s) and checks
// that no shard ever has two valid holders, tokens only grow, and no pod the
// operator deleted still held a lease.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "controller/fleet/api/names.h"
#include "controller/kube/rest/client.h"
#include "controller/sources/lease/store_config.h"
#include "controller/sources/protocol/shard.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "controller/sources/queue/redis_source.h"
#include "controller/sources/redis/client.h"
#include "tests/integration/agent/fleet_checks.h"
#include "tests/support/cluster.h"
#include "tests/support/fleet_setup.h"
#include "tests/support/wait.h"

namespace agentfleet {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kPassword = "pl4nted-E2E-PASSWORD";
constexpr const char* kRedisUser = "fleet-e2e";
constexpr uint32_t kShards = 16;

using testing::Eventually;

int RedisPort() {
  return testing::FixturePort("AGENTFLEET_REDIS_DIR");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Child {
  pid_t pid = -1;
  std::string log;
  // SIGTERM, then the exit status (or -1 when it had to be killed).
  int Stop(std::chrono::seconds grace = 20s) {
    if (pid <= 0) return -1;
    kill(pid, SIGTERM);
    int status = 0;
    auto deadline = SteadyClock::now() + grace;
    while (SteadyClock::now() < deadline) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    pid = -1;
    return -1;
  }
  ~Child() { Stop(5s); }
};

// What a sampler saw: lease-table invariants plus the pods the operator
// deleted while (still) holding a lease.
class Watchdog {
 public:
  // Its own API client: the test's threads never share one.
  Watchdog(std::unique_ptr<sources::lease::LeaseStore> store, std::string ns)
      : store_(std::move(store)), client_(testing::ClusterClient()), ns_(std::move(ns)) {
    leases_ = std::thread([this] { SampleLeases(); });
    pods_ = std::thread([this] { SamplePods(); });
  }
  ~Watchdog() { Stop(); }
  void Stop() {
    stop_ = true;
    if (leases_.joinable()) leases_.join();
    if (pods_.joinable()) pods_.join();
  }
  // A pod this test deletes itself: it may hold leases when it goes.
  void Excuse(const std::string& pod) {
    std::lock_guard lock(mu_);
    excused_.insert(pod);
  }
  // Valid holders (the pod part of the holder id) by shard, in the newest snapshot.
  std::map<uint32_t, std::string> Holders() {
    std::lock_guard lock(mu_);
    return holders_;
  }
  std::vector<std::string> Violations() {
    std::lock_guard lock(mu_);
    auto v = checker_.violations();
    v.insert(v.end(), deleted_holding_.begin(), deleted_holding_.end());
    return v;
  }
  int64_t Snapshots() {
    std::lock_guard lock(mu_);
    return checker_.snapshots();
  }
  int64_t Handoffs() {
    std::lock_guard lock(mu_);
    return checker_.handoffs();
  }
  int MaxValidPerShard() {
    std::lock_guard lock(mu_);
    return checker_.max_valid_per_shard();
  }
  int ListErrors() const { return list_errors_.load(); }
  size_t Deleted() {
    std::lock_guard lock(mu_);
    return deleted_uids_.size();
  }
  std::string PodLog() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : log_) out += (out.empty() ? "" : " ") + l;
    return out;
  }

 private:
  void SampleLeases() {
    while (!stop_) {
      auto snap = store_->Snapshot(ns_ + "/pricing");
      if (snap.ok()) {
        std::lock_guard lock(mu_);
        checker_.Observe(*snap);
        holders_.clear();
        for (const auto& r : snap->records) {
          if (!r.ValidAt(snap->now_ms)) continue;
          std::string pod = r.holder.substr(0, r.holder.rfind('/'));
          holders_[r.shard] = pod;
          if (deleted_.count(pod) > 0 && excused_.count(pod) == 0) {
            deleted_holding_.push_back("pod " + pod + " was deleted while holding shard " +
                                       std::to_string(r.shard));
            excused_.insert(pod);  // reported once
          }
        }
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  // A pod counts as deleted from the first list that shows it terminating or
  // no longer shows it; later snapshots must not show it holding anything.
  void SamplePods() {
    std::map<std::string, std::string> seen;  // live pods: name → uid
    while (!stop_) {
      auto list = client_->List(kPods, ns_, {.label_selector = "agentfleet.io/fleet=pricing"});
      if (!list.ok()) ++list_errors_;
      if (list.ok()) {
        std::map<std::string, std::string> live;
        std::lock_guard lock(mu_);
        auto gone = [&](const std::string& name, const std::string& uid) {
          deleted_.insert(name);
          if (deleted_uids_.insert(uid).second) log_.push_back("-" + name);
        };
        for (const auto& p : list->items) {
          std::string name = p["metadata"]["name"], uid = p["metadata"]["uid"];
          if (p["metadata"].contains("deletionTimestamp")) {
            gone(name, uid);
          } else {
            live[name] = uid;
            if (deleted_uids_.count(uid) == 0) deleted_.erase(name);  // a reused name
            if (seen_uids_.insert(uid).second) log_.push_back("+" + name);
          }
        }
        for (const auto& [name, uid] : seen) {
          if (live.count(name) == 0 || live[name] != uid) gone(name, uid);
        }
        seen = std::move(live);
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  std::unique_ptr<sources::lease::LeaseStore> store_;
  std::unique_ptr<kube::rest::Client> client_;
  std::string ns_;
  std::atomic<bool> stop_{false};
  std::atomic<int> list_errors_{0};
  std::mutex mu_;
  agent::testing::LeaseChecker checker_;
  std::map<uint32_t, std::string> holders_;
  std::set<std::string> deleted_, excused_;  // by pod name
  std::set<std::string> deleted_uids_, seen_uids_;
  std::vector<std::string> log_;  // +name created, -name deleted, in order
  std::vector<std::string> deleted_holding_;
  std::thread leases_, pods_;
};

class FleetE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(RedisPort(), 0) << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
    client_ = testing::ClusterClient();
    auto installed = testing::InstallFleetCrd(*client_, "agentfleet-e2e");
    ASSERT_TRUE(installed.ok()) << installed.error().ToString();
    ASSERT_EQ(testing::AddRedisUser(RedisPort(), kRedisUser, kPassword), 0);
    ns_ = std::make_unique<testing::ScopedNamespace>(*client_, "e2e-fleet");
    prefix_ = "e2e-" + ns() + ":";
    char tmpl[] = "/tmp/agentfleet-e2e-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    kubelet_.Stop();
    controller_.Stop();
    (void)client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                         {{"metadata", {{"finalizers", nullptr}}}});
    ns_.reset();
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  const std::string& ns() const { return ns_->name(); }
  std::string Url() const { return testing::RedisUserUrl(RedisPort(), kRedisUser); }

  Json Fleet() const {
    Json f = testing::RedisFleet(ns(), Url(), prefix_ + "tasks", prefix_);
    f["spec"]["shards"] = kShards;
    f["spec"]["autoscaling"] = Json::parse(R"({
      "minReplicas": 1, "maxReplicas": 4, "targetQueueDepthPerAgent": 40,
      "pollIntervalSeconds": 1,
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 8,
                                 "policies": [{"type": "Percent", "value": 100,
                                               "periodSeconds": 1}]}}})");
    f["spec"]["leases"]["leaseDurationSeconds"] = 3;
    f["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 10;
    f["spec"]["retirement"]["drainTimeoutSeconds"] = 600;
    return f;
  }

  std::unique_ptr<sources::lease::LeaseStore> OpenLeases() {
    auto config = sources::lease::ParseStoreUrl(Url(), kPassword);
    EXPECT_TRUE(config.ok());
    config->key_prefix = prefix_;
    auto store = sources::lease::OpenLeaseStore(*config);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return std::move(*store);
  }

  sources::redis::Options RedisOptions() const {
    sources::redis::Options o{.port = static_cast<uint16_t>(RedisPort())};
    o.username = kRedisUser;
    o.password = kPassword;
    return o;
  }
  std::unique_ptr<sources::redis::Client> Redis() {
    sources::redis::Options o = RedisOptions();
    auto c = sources::redis::Client::Connect(o);
    EXPECT_TRUE(c.ok());
    return std::move(*c);
  }

  void StartController() {
    metrics_port_ = testing::FreePort();
    controller_.log = dir_ + "/controller.log";
    controller_.pid = testing::StartProcess(
        AGENTFLEET_BIN_DIR "/agentfleet-controller",
        {"--kubeconfig", std::getenv("KUBECONFIG"), "--namespace", ns(), "--leader-elect",
         "--leader-election-namespace", ns(), "--metrics-bind-address",
         "127.0.0.1:" + std::to_string(metrics_port_), "--health-probe-bind-address", "0"},
        controller_.log);
  }

  void StartKubelet() {
    kubelet_.log = dir_ + "/kubelet.log";
    kubelet_.pid = testing::StartProcess(
        AGENTFLEET_BIN_DIR "/agent-kubelet",
        {"--kubeconfig", std::getenv("KUBECONFIG"), "--namespace", ns(), "--selector",
         "agentfleet.io/fleet=pricing", "--log-dir", dir_ + "/agents", "--poll-ms", "100", "--",
         "--tick=200ms", "--block=100ms", "--claim-min-idle=1s", "--task-time=20ms",
         "--batch-size=16", "--metrics-bind-address=0"},
        kubelet_.log);
  }

  struct PodState {
    std::string name, uid;
    std::vector<uint32_t> shards;
  };
  std::vector<PodState> LivePods() {
    std::vector<PodState> out;
    auto list = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
    if (!list) return out;
    for (const auto& p : list->items) {
      if (p["metadata"].contains("deletionTimestamp")) continue;
      PodState s{p["metadata"]["name"], p["metadata"]["uid"], {}};
      auto shards = sources::protocol::ParseShardRanges(
          p["metadata"]["annotations"].value("agentfleet.io/shards", ""), kShards);
      if (shards) s.shards = std::move(*shards);
      out.push_back(std::move(s));
    }
    return out;
  }

  // `pods` live pods, shard counts differing by at most one, every shard
  // assigned once and held (valid lease) by the pod it is assigned to.
  bool Settled(size_t pods, Watchdog& dog, std::vector<PodState>* state = nullptr) {
    auto live = LivePods();
    if (live.size() != pods) return false;
    std::map<uint32_t, std::string> owner;
    size_t lo = kShards, hi = 0;
    for (const auto& p : live) {
      lo = std::min(lo, p.shards.size());
      hi = std::max(hi, p.shards.size());
      for (uint32_t s : p.shards) {
        if (!owner.emplace(s, p.name).second) return false;
      }
    }
    if (owner.size() != kShards || hi - lo > 1) return false;
    if (dog.Holders() != owner) return false;
    if (state) *state = std::move(live);
    return true;
  }

  Json Status() {
    auto f = client_->Get(kPricingAgentFleets, ns(), "pricing");
    return f && f->contains("status") ? (*f)["status"] : Json::object();
  }

  std::string Diagnostics() {
    std::string pods;
    for (const auto& p : LivePods()) {
      pods += " " + p.name + "=" + sources::protocol::FormatShardRanges(p.shards);
    }
    return "pods:" + pods + "\nstatus: " + Status().dump() + "\nlogs in " + dir_;
  }

  std::unique_ptr<kube::rest::Client> client_;
  std::unique_ptr<testing::ScopedNamespace> ns_;
  std::string prefix_, dir_;
  int metrics_port_ = 0;
  Child controller_, kubelet_;
};

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
  auto source = sources::queue::MakeRedisShardedStreamsSource({.server = RedisOptions(),
                                                               .key_prefix = prefix_ + "tasks",
                                                               .shards = static_cast<int>(kShards),
                                                               .group = "pricing-agents"});
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
