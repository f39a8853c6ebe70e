// The chaos soak: the operator under the faults of real operations, judged by
// evidence it cannot fake. Two operator replicas with leader election, real
// agents (agent-kubelet), a durable Redis (queue, lease table, results), a
// stream of tasks over few products (so a product's tasks overtake each
// other), scale changes, and at seeded random moments: kill -9, SIGTERM and
// SIGSTOP (past its lease) of the leader, kill -9 and SIGSTOP (past its lease)
// of an agent, a Redis kill -9 and restart, a kube-apiserver kill -9 and
// restart. Checked all along and at the end:
//   - the lease table, sampled ~100/s: never two valid holders of a shard;
//   - the API server's audit log: no write of an operator after another
//     operator's first write (the leaders' writes never interleave);
//   - the pods: never more than the most desired + the surge;
//   - after the faults: exactly the desired pods, every shard held, balanced;
//     every task priced, and per product the newest task's price stored.
// AGENTFLEET_CHAOS_SECONDS (default 75) sets how long faults are injected,
// AGENTFLEET_CHAOS_SEED (default 1) the schedule.
#include <dirent.h>

#include "examples/agent/results/task_version.h"
#include "examples/agent/task.h"
#include "tests/e2e/fleet/fleet_harness.h"
#include "tests/integration/agent/result_sample.h"
#include "tests/support/audit_log.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet {
namespace {

using agent::testing::ExpectedTask;
using agent::testing::ResultChecker;

constexpr int kProducts = 48;
constexpr int kLeaseSeconds = 3;        // the agents' shard leases
constexpr int kLeaderLeaseSeconds = 4;  // the operators' Lease
constexpr int kMaxReplicas = 4;
constexpr int kSurge = 1;  // maxSurge 25% of 4

enum class Fault {
  kLeaderKill,
  kLeaderTerm,
  kLeaderPause,
  kAgentKill,
  kAgentPause,
  kRedisRestart,
  kApiServerRestart,
  kScaleManual,
  kScaleAuto,
  kBurst,
};
constexpr int kFaultKinds = 10;

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kLeaderKill:
      return "leader kill -9";
    case Fault::kLeaderTerm:
      return "leader SIGTERM";
    case Fault::kLeaderPause:
      return "leader SIGSTOP past its lease";
    case Fault::kAgentKill:
      return "agent kill -9";
    case Fault::kAgentPause:
      return "agent SIGSTOP past its lease";
    case Fault::kRedisRestart:
      return "Redis kill -9 and restart";
    case Fault::kApiServerRestart:
      return "kube-apiserver kill -9 and restart";
    case Fault::kScaleManual:
      return "manual scale";
    case Fault::kScaleAuto:
      return "back to autoscaling";
    case Fault::kBurst:
      return "burst of 600 tasks";
  }
  return "?";
}

struct Step {
  double at = 0;  // seconds after the start of the faults
  Fault fault;
};

// Every kind once in a seeded order, then seeded random kinds, 4-9 s apart.
std::vector<Step> Schedule(uint32_t seed, int seconds) {
  std::mt19937 rng(seed);
  std::vector<Fault> kinds;
  for (int k = 0; k < kFaultKinds; ++k) kinds.push_back(static_cast<Fault>(k));
  std::shuffle(kinds.begin(), kinds.end(), rng);
  std::vector<Step> out;
  double at = 2;
  for (size_t i = 0; at < seconds; ++i) {
    const Fault f = i < kinds.size()
                        ? kinds[i]
                        : static_cast<Fault>(std::uniform_int_distribution<int>(0, 9)(rng));
    out.push_back({at, f});
    at += std::uniform_real_distribution<double>(4, 9)(rng);
  }
  return out;
}

// "agentfleet-controller/<version> (<identity>)" → identity.
std::string IdentityOf(const std::string& user_agent) {
  if (user_agent.rfind("agentfleet-controller/", 0) != 0) return "";
  const size_t open = user_agent.find('('), close = user_agent.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return user_agent.substr(open + 1, close - open - 1);
}

class ChaosSoak : public FleetE2E {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agentfleet-chaos-redis-XXXXXX";
    redis_dir_ = mkdtemp(tmpl);
    std::string out;
    ASSERT_EQ(testing::Shell("AGENTFLEET_REDIS_DURABLE=1 " +
                                 testing::SourcePath("tests/servers/redis.sh") + " up " +
                                 redis_dir_ + " 2>&1",
                             &out),
              0)
        << out;
    redis_port_ = std::stoi(ReadFile(redis_dir_ + "/port"));
    FleetE2E::SetUp();
    ASSERT_EQ(RedisCli("ACL SAVE"), 0);  // the fleet's user survives restarts
  }
  void TearDown() override {
    stop_supervisor_ = true;
    if (supervisor_.joinable()) supervisor_.join();
    for (auto& op : operators_) {
      if (op.pid > 0) {
        kill(op.pid, SIGCONT);
        kill(op.pid, SIGKILL);
        waitpid(op.pid, nullptr, 0);
      }
    }
    FleetE2E::TearDown();
    testing::Shell(testing::SourcePath("tests/servers/redis.sh") + " down " + redis_dir_);
  }

  int RedisCli(const std::string& command) {
    return testing::Shell("redis-cli -p " + std::to_string(redis_port_) + " " + command +
                          " >/dev/null");
  }

  // --- the two operator replicas, restarted when they exit (a Deployment) ---
  struct Operator {
    pid_t pid = -1;
    int generation = 0;
    std::string name;  // POD_NAME: the leader identity's prefix
  };
  void StartOperator(int i) {
    Operator& op = operators_[i];
    op.name = "chaos-op" + std::to_string(i) + "-g" + std::to_string(op.generation++);
    op.pid = testing::StartProcess(
        AGENTFLEET_BIN_DIR "/agentfleet-controller",
        {"--kubeconfig", std::getenv("KUBECONFIG"), "--namespace", ns(), "--leader-elect",
         "--leader-election-namespace", ns(), "--leader-elect-lease-duration",
         std::to_string(kLeaderLeaseSeconds) + "s", "--leader-elect-renew-deadline", "3s",
         "--leader-elect-retry-period", "500ms", "--metrics-bind-address", "0",
         "--health-probe-bind-address", "0"},
        dir_ + "/" + op.name + ".log", {"POD_NAME=" + op.name});
  }
  void Supervise() {
    std::lock_guard lock(ops_mu_);
    for (int i = 0; i < 2; ++i) StartOperator(i);
    supervisor_ = std::thread([this] {
      while (!stop_supervisor_) {
        {
          std::lock_guard lock(ops_mu_);
          for (int i = 0; i < 2; ++i) {
            int status = 0;
            if (operators_[i].pid > 0 && waitpid(operators_[i].pid, &status, WNOHANG) > 0) {
              ++exits_;
              StartOperator(i);
            }
          }
        }
        std::this_thread::sleep_for(1s);  // a restart is not instantaneous
      }
    });
  }
  // The pid of the operator that holds the leader-election Lease, or -1.
  pid_t LeaderPid() {
    auto lease = client_->Get(kube::rest::resources::kLeases, ns(), "agentfleet-controller");
    if (!lease) return -1;
    const std::string holder = (*lease)["spec"].value("holderIdentity", "");
    std::lock_guard lock(ops_mu_);
    for (const auto& op : operators_) {
      if (!holder.empty() && holder.rfind(op.name + "_", 0) == 0) return op.pid;
    }
    return -1;
  }

  // The pricing-agent processes agent-kubelet runs (its children).
  std::vector<pid_t> Agents() {
    std::vector<pid_t> out;
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return out;
    while (dirent* e = readdir(proc)) {
      const int pid = std::atoi(e->d_name);
      if (pid <= 0) continue;
      std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
      const size_t close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(stat.substr(close + 2));
      std::string state;
      int ppid = 0;
      rest >> state >> ppid;
      if (ppid == kubelet_.pid && state != "Z") out.push_back(pid);
    }
    closedir(proc);
    return out;
  }

  Json AutoscalingSpec() const {
    return Json::parse(R"({
      "minReplicas": 1, "maxReplicas": 4, "targetQueueDepthPerAgent": 40,
      "pollIntervalSeconds": 1,
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 8,
                                 "policies": [{"type": "Percent", "value": 100,
                                               "periodSeconds": 1}]}}})");
  }

  // A merge patch of the fleet's spec, retried: the API server may be
  // restarting, and the client's connection with it.
  bool PatchSpec(const Json& spec, std::chrono::seconds within = 20s) {
    return Eventually(
        [&] {
          return client_
              ->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                      {{"spec", spec}})
              .ok();
        },
        within);
  }

  std::string redis_dir_;
  std::mutex ops_mu_;
  Operator operators_[2];
  std::thread supervisor_;
  std::atomic<bool> stop_supervisor_{false};
  std::atomic<int> exits_{0};
};

TEST_F(ChaosSoak, NoDoubleHoldersNoStrayWritesNothingLost) {
  const int seconds = EnvInt("AGENTFLEET_CHAOS_SECONDS", 75);
  const uint32_t seed = static_cast<uint32_t>(EnvInt("AGENTFLEET_CHAOS_SEED", 1));
  const std::vector<Step> schedule = Schedule(seed, seconds);

  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();
  f["spec"]["autoscaling"] = AutoscalingSpec();
  f["spec"]["leases"]["leaseDurationSeconds"] = kLeaseSeconds;
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), f).ok());
  Watchdog dog(OpenLeases(), ns());
  Supervise();
  StartKubelet();
  ASSERT_TRUE(Eventually([&] { return Settled(1, dog); }, 90s)) << Diagnostics();

  // --- the producer: tasks over few products; a product's newest task is
  // the one with the greatest stream entry ID (its version) ---
  std::mutex mu;
  std::map<std::string, ExpectedTask> newest;
  std::atomic<int64_t> pushed{0};
  std::atomic<int> burst{0};
  std::atomic<bool> stop_load{false}, stop_checks{false};
  std::thread producer([&] {
    std::unique_ptr<sources::redis::Client> redis;
    std::mt19937 rng(seed * 31 + 7);
    int64_t n = 0;
    while (!stop_load) {
      if (!redis) {
        auto c = sources::redis::Client::Connect(RedisOptions());
        if (!c.ok()) {
          std::this_thread::sleep_for(200ms);
          continue;
        }
        redis = std::move(*c);
      }
      const int count = 3 + burst.exchange(0);
      std::vector<sources::redis::Client::Args> cmds;
      std::vector<std::pair<std::string, ExpectedTask>> batch;
      for (int k = 0; k < count; ++k, ++n) {
        std::string product =
            "c-" + std::to_string(std::uniform_int_distribution<int>(0, kProducts - 1)(rng));
        const int64_t price = std::uniform_int_distribution<int64_t>(1, 1'000'000)(rng);
        const uint32_t shard = sources::protocol::ShardOf(product, kShards);
        batch.emplace_back(product, ExpectedTask{shard, agent::Reprice(price), {}});
        cmds.push_back({"XADD", prefix_ + "tasks:" + std::to_string(shard), "*", "task",
                        "t-" + std::to_string(n), "product", product, "price",
                        std::to_string(price)});
      }
      auto r = redis->Pipeline(cmds);
      if (!r.ok()) {
        // Not known to be stored: a task that was stored after all has an
        // older entry ID than any sent later, so it can only be superseded.
        redis.reset();
        continue;
      }
      std::lock_guard lock(mu);
      for (size_t k = 0; k < batch.size(); ++k) {
        auto version = agent::results::ParseTaskVersion((*r)[k].str);
        if (!version) continue;
        batch[k].second.version = *version;
        newest[batch[k].first] = batch[k].second;
        ++pushed;
      }
      std::this_thread::sleep_for(100ms);
    }
  });

  // --- the samplers: results (fence marks, stored versions) and desired/live pods ---
  ResultChecker results;
  std::atomic<int> max_desired{1};
  std::thread sampler([&] {
    std::unique_ptr<sources::redis::Client> redis;
    auto checks_client = testing::ClusterClient();
    const std::string base = prefix_ + "results:{" + ns() + "/pricing}:";
    while (!stop_checks) {
      if (!redis) {
        auto c = sources::redis::Client::Connect(RedisOptions());
        if (c.ok()) redis = std::move(*c);
      }
      if (redis) {
        auto s = agent::testing::ReadResults(*redis, base);
        if (s.ok()) {
          results.Observe(std::move(*s));
        } else {
          redis.reset();
        }
      }
      auto fl = checks_client->Get(kPricingAgentFleets, ns(), "pricing");
      if (fl) {
        const Json st = fl->value("status", Json::object());
        max_desired = std::max<int>(max_desired, st.value("desiredReplicas", 0));
      }
      std::this_thread::sleep_for(200ms);
    }
  });

  // Whatever ends the test (a failed ASSERT too) stops and joins the threads.
  struct Joiner {
    std::function<void()> stop;
    ~Joiner() { stop(); }
  } joiner{[&] {
    stop_load = true;
    stop_checks = true;
    if (producer.joinable()) producer.join();
    if (sampler.joinable()) sampler.join();
  }};

  // --- the faults ---
  std::map<std::string, int> injected;
  std::ostringstream timeline;
  const auto t0 = SteadyClock::now();
  auto since = [&] { return std::chrono::duration<double>(SteadyClock::now() - t0).count(); };
  std::mt19937 rng(seed);
  double last_fault = 0;  // when the last fault (not a scale change) was over
  const std::string cluster_script = std::getenv("AGENTFLEET_CLUSTER_SCRIPT");
  const std::string cluster_dir = std::getenv("AGENTFLEET_CLUSTER_DIR");
  for (const Step& step : schedule) {
    while (since() < step.at) std::this_thread::sleep_for(50ms);
    bool done = true;
    switch (step.fault) {
      case Fault::kLeaderKill:
      case Fault::kLeaderTerm:
      case Fault::kLeaderPause: {
        // Right after a fault there may be no leader yet: wait for one.
        pid_t leader = -1;
        Eventually([&] { return (leader = LeaderPid()) > 0; }, 20s);
        if (leader <= 0) {
          done = false;
          break;
        }
        if (step.fault == Fault::kLeaderKill) kill(leader, SIGKILL);
        if (step.fault == Fault::kLeaderTerm) kill(leader, SIGTERM);
        if (step.fault == Fault::kLeaderPause) {
          kill(leader, SIGSTOP);
          std::this_thread::sleep_for(std::chrono::seconds(kLeaderLeaseSeconds + 2));
          kill(leader, SIGCONT);
        }
        break;
      }
      case Fault::kAgentKill:
      case Fault::kAgentPause: {
        auto agents = Agents();
        if (agents.empty()) {
          done = false;
          break;
        }
        const pid_t a = agents[std::uniform_int_distribution<size_t>(0, agents.size() - 1)(rng)];
        if (step.fault == Fault::kAgentKill) {
          kill(a, SIGKILL);
        } else {
          kill(a, SIGSTOP);
          std::this_thread::sleep_for(std::chrono::seconds(kLeaseSeconds + 2));
          kill(a, SIGCONT);
        }
        break;
      }
      case Fault::kRedisRestart: {
        kill(std::stoi(ReadFile(redis_dir_ + "/redis.pid")), SIGKILL);
        std::string out;
        done = testing::Shell(testing::SourcePath("tests/servers/redis.sh") + " restart " +
                                  redis_dir_ + " 2>&1",
                              &out) == 0;
        EXPECT_TRUE(done) << out;
        break;
      }
      case Fault::kApiServerRestart: {
        std::string out;
        done = testing::Shell(cluster_script + " restart " + cluster_dir + " kube-apiserver 2>&1",
                              &out) == 0;
        EXPECT_TRUE(done) << out;
        break;
      }
      case Fault::kScaleManual: {
        const int replicas = std::uniform_int_distribution<int>(2, kMaxReplicas)(rng);
        done = PatchSpec({{"autoscaling", nullptr}, {"replicas", replicas}});
        break;
      }
      case Fault::kScaleAuto:
        done = PatchSpec({{"autoscaling", AutoscalingSpec()}, {"replicas", nullptr}});
        break;
      case Fault::kBurst:
        burst += 600;
        break;
    }
    if (done) ++injected[FaultName(step.fault)];
    const bool scale = step.fault == Fault::kScaleManual || step.fault == Fault::kScaleAuto ||
                       step.fault == Fault::kBurst;
    if (done && !scale) last_fault = since();
    timeline << "  " << since() << " s: " << FaultName(step.fault) << (done ? "" : " (skipped)")
             << "\n";
  }
  const double faults_end = since();
  std::cout << "chaos soak, seed " << seed << ", " << seconds << " s of faults:\n"
            << timeline.str() << std::flush;

  // --- recovery: back to autoscaling, the backlog drained, the fleet settled ---
  stop_load = true;
  if (producer.joinable()) producer.join();
  // The API server may have restarted a moment ago.
  ASSERT_TRUE(PatchSpec({{"autoscaling", AutoscalingSpec()}, {"replicas", nullptr}}, 60s));
  auto source = TaskQueue();
  ASSERT_TRUE(source.ok());
  auto redis = Redis();
  const std::string base = prefix_ + "results:{" + ns() + "/pricing}:";
  auto all_newest = [&] {
    auto d = (*source)->ReadDepth();
    if (!d.ok() || d->total != 0) return false;
    auto s = agent::testing::ReadResults(*redis, base);
    if (!s.ok()) return false;
    std::lock_guard lock(mu);
    for (const auto& [product, task] : newest) {
      auto it = s->results.find(product);
      if (it == s->results.end() || it->second.version != task.version) return false;
    }
    return true;
  };
  int desired = 0;
  const bool recovered = Eventually(
      [&] {
        desired = Status().value("desiredReplicas", 0);
        return desired > 0 && Settled(static_cast<size_t>(desired), dog) && all_newest();
      },
      180s);
  const double settled_at = since();
  const double recovery = settled_at - last_fault;
  stop_checks = true;
  if (sampler.joinable()) sampler.join();
  dog.Stop();

  // --- the evidence ---
  auto final_sample = agent::testing::ReadResults(*redis, base);
  ASSERT_TRUE(final_sample.ok()) << final_sample.error().ToString();
  results.Observe(*final_sample);
  {
    std::lock_guard lock(mu);
    results.Verify(newest);
  }
  // The leaders' writes, from the API server's audit log: every write of an
  // operator completed before the first write of any operator that wrote
  // after it arrived. Lease writes aside: campaigning is how a standby leads.
  std::vector<testing::AuditedWrite> writes;
  for (auto& w : testing::AuditedWrites(ns())) {
    if (w.resource != "leases" && !IdentityOf(w.user_agent).empty()) writes.push_back(w);
  }
  std::vector<std::pair<std::string, std::string>> terms;  // identity, its first write's arrival
  for (const auto& w : writes) {
    const std::string id = IdentityOf(w.user_agent);
    if (std::none_of(terms.begin(), terms.end(), [&](const auto& t) { return t.first == id; })) {
      terms.emplace_back(id, w.received);
    }
  }
  std::vector<std::string> stray;
  for (const auto& w : writes) {
    const std::string id = IdentityOf(w.user_agent);
    bool later = false;
    for (const auto& [other, first] : terms) {
      if (other == id) {
        later = true;
        continue;
      }
      if (later && first < w.completed) {
        stray.push_back(id + " " + w.verb + " " + w.resource + "/" + w.name + " completed at " +
                        w.completed + ", after " + other + " first wrote at " + first);
        break;
      }
    }
  }

  std::cout << "faults injected:";
  for (const auto& [name, n] : injected) std::cout << " " << name << " x" << n << ";";
  std::cout << "\n"
            << pushed << " tasks over " << kProducts << " products, " << results.rewrites()
            << " result rewrites; " << dog.Snapshots() << " lease snapshots, " << dog.Handoffs()
            << " hand-offs; operator exits " << exits_ << "; " << writes.size()
            << " operator writes in the audit log from " << terms.size()
            << " leadership terms; most pods alive " << dog.MaxLive() << " (most desired "
            << max_desired << " + surge " << kSurge << "); recovery after the last fault "
            << recovery << " s (" << settled_at - faults_end << " s after the schedule's end) to "
            << desired << " pods\n";

  EXPECT_TRUE(recovered) << "not settled 180 s after the faults\n" << Diagnostics();
  EXPECT_TRUE(dog.Violations().empty()) << dog.Violations().front();
  EXPECT_EQ(dog.MaxValidPerShard(), 1);
  EXPECT_TRUE(results.violations().empty()) << results.violations().front();
  EXPECT_TRUE(stray.empty()) << stray.size()
                             << " writes from a deposed leader; first: " << stray.front();
  EXPECT_FALSE(writes.empty()) << "no operator write in the audit log: the check shows nothing";
  EXPECT_LE(dog.MaxLive(), static_cast<size_t>(max_desired + kSurge));
  EXPECT_GE(injected.size(), 7u) << "too few kinds of fault were injected";
}

}  // namespace
}  // namespace agentfleet
