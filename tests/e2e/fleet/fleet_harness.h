#pragma once

// The harness of the end-to-end fleet tests: agentfleet-controller and
// agent-kubelet as child processes, a sampler of the lease table and the
// pods (Watchdog), and the fixture that sets a namespace, a Redis user and
// a fleet up. Its definitions have internal linkage: each test file that
// includes it gets its own.

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

// A positive whole number from the environment (a bench's longer run), else `fallback`.
inline int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

inline std::string ReadFile(const std::string& path) {
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
  // The most pods alive (not terminating) in any one list since the start.
  size_t MaxLive() {
    std::lock_guard lock(mu_);
    return max_live_;
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
          // By holder id, not pod name: a name can be reused at once by a
          // new pod, whose agent is a new incarnation with a new id.
          const bool deleted_incarnation = deleted_ids_.count(r.holder) > 0;
          if (!deleted_incarnation) ids_of_[pod].insert(r.holder);
          if (deleted_incarnation && excused_.count(pod) == 0) {
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
          // Its agents' ids so far belong to the deleted pod.
          deleted_ids_.insert(ids_of_[name].begin(), ids_of_[name].end());
          ids_of_.erase(name);
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
        max_live_ = std::max(max_live_, live.size());
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
  std::set<std::string> deleted_, excused_;              // by pod name
  std::map<std::string, std::set<std::string>> ids_of_;  // live pod name -> holder ids seen
  std::set<std::string> deleted_ids_;                    // holder ids of deleted pods
  std::set<std::string> deleted_uids_, seen_uids_;
  std::vector<std::string> log_;  // +name created, -name deleted, in order
  std::vector<std::string> deleted_holding_;
  size_t max_live_ = 0;
  std::thread leases_, pods_;
};

class FleetE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // A test with a Redis of its own sets redis_port_ before this runs.
    if (redis_port_ == 0) redis_port_ = RedisPort();
    ASSERT_NE(redis_port_, 0) << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
    client_ = testing::ClusterClient();
    auto installed = testing::InstallFleetCrd(*client_, "agentfleet-e2e");
    ASSERT_TRUE(installed.ok()) << installed.error().ToString();
    ASSERT_EQ(testing::AddRedisUser(redis_port_, kRedisUser, kPassword), 0);
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
  std::string Url() const { return testing::RedisUserUrl(redis_port_, kRedisUser); }

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

  // Fleet() in manual mode: `replicas` pods, no autoscaling.
  Json ManualFleet(int replicas) const {
    Json f = Fleet();
    f["spec"].erase("autoscaling");
    f["spec"]["replicas"] = replicas;
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
    sources::redis::Options o{.port = static_cast<uint16_t>(redis_port_)};
    o.username = kRedisUser;
    o.password = kPassword;
    return o;
  }
  // The fleet's task streams, as the operator reads their depth.
  Result<std::unique_ptr<sources::queue::QueueSource>> TaskQueue() const {
    return sources::queue::MakeRedisShardedStreamsSource({.server = RedisOptions(),
                                                          .key_prefix = prefix_ + "tasks",
                                                          .shards = static_cast<int>(kShards),
                                                          .group = "pricing-agents"});
  }
  std::unique_ptr<sources::redis::Client> Redis() {
    sources::redis::Options o = RedisOptions();
    auto c = sources::redis::Client::Connect(o);
    EXPECT_TRUE(c.ok());
    return std::move(*c);
  }

  // With leader election, its Lease in the fleet's namespace; `extra` flags last.
  void StartController(bool leader_elect = true, const std::vector<std::string>& extra = {}) {
    metrics_port_ = testing::FreePort();
    controller_.log = dir_ + "/controller.log";
    std::vector<std::string> args = {"--kubeconfig",
                                     std::getenv("KUBECONFIG"),
                                     "--namespace",
                                     ns(),
                                     "--metrics-bind-address",
                                     "127.0.0.1:" + std::to_string(metrics_port_),
                                     "--health-probe-bind-address",
                                     "0"};
    if (leader_elect) {
      args.insert(args.end(), {"--leader-elect", "--leader-election-namespace", ns()});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    // A bench compares another build of the controller on the same work.
    const char* other = std::getenv("AGENTFLEET_CONTROLLER_BINARY");
    const std::string binary =
        other != nullptr && *other != 0 ? other : AGENTFLEET_BIN_DIR "/agentfleet-controller";
    controller_.pid = testing::StartProcess(binary, args, controller_.log);
  }

  // The agents read their assignment as in production: a downward-API file
  // that agent-kubelet refreshes once a kubelet sync period (60 s; its
  // AGENTFLEET_KUBELET_SYNC_PERIOD overrides), and the copy the operator
  // publishes in the lease store. `agent_flags` go to every agent, last.
  void StartKubelet(const std::vector<std::string>& agent_flags = {}) {
    kubelet_.log = dir_ + "/kubelet.log";
    std::vector<std::string> args = {"--kubeconfig",
                                     std::getenv("KUBECONFIG"),
                                     "--namespace",
                                     ns(),
                                     "--selector",
                                     "agentfleet.io/fleet=pricing",
                                     "--log-dir",
                                     dir_ + "/agents",
                                     "--poll-ms",
                                     "100",
                                     "--",
                                     "--tick=200ms",
                                     "--block=100ms",
                                     "--claim-min-idle=1s",
                                     "--task-time=20ms",
                                     "--batch-size=16",
                                     "--metrics-bind-address=0"};
    args.insert(args.end(), agent_flags.begin(), agent_flags.end());
    kubelet_.pid = testing::StartProcess(AGENTFLEET_BIN_DIR "/agent-kubelet", args, kubelet_.log);
  }

  struct PodState {
    std::string name, uid, image;
    std::vector<uint32_t> shards;
  };
  std::vector<PodState> LivePods() {
    std::vector<PodState> out;
    auto list = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
    if (!list) return out;
    for (const auto& p : list->items) {
      if (p["metadata"].contains("deletionTimestamp")) continue;
      PodState s{p["metadata"]["name"],
                 p["metadata"]["uid"],
                 p["spec"]["containers"][0].value("image", ""),
                 {}};
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

  // The controller's /metrics text, empty when it does not answer.
  std::string Metrics() {
    std::string out;
    if (testing::Shell("curl -fsS http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics",
                       &out) != 0) {
      return "";
    }
    return out;
  }
  // The value of a series of the controller's /metrics, or -1.
  double Metric(const std::string& series) {
    std::istringstream in(Metrics());
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }
  // The sum over every series of a metric family whose labels contain
  // `labels` (e.g. `method="PATCH"`), or -1 when the controller does not answer.
  double MetricSum(const std::string& family, const std::string& labels = "") {
    const std::string text = Metrics();
    if (text.empty()) return -1;
    double sum = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(family + "{", 0) != 0 && line.rfind(family + " ", 0) != 0) continue;
      const auto value = line.rfind(' ');
      if (!labels.empty() && line.substr(0, value).find(labels) == std::string::npos) continue;
      sum += std::stod(line.substr(value + 1));
    }
    return sum;
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
  int redis_port_ = 0;
  int metrics_port_ = 0;
  Child controller_, kubelet_;
};

}  // namespace
}  // namespace agentfleet
