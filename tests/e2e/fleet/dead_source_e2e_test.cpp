// A dead or slow source stalls only its own fleet. Two fleets point at
// sources that never answer — a listener that accepts and stays silent, and
// a SIGSTOPped Redis — beside a healthy fleet with real agents. The healthy
// fleet's scale-up and scale-down (pods created, shards handed off and held,
// retiring pods drained and deleted) must take about the time they take
// without the dead fleets, measured in the same run.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "tests/e2e/fleet/fleet_harness.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet {
namespace {

// A TCP listener on loopback that accepts every connection and never sends a
// byte: a source behind a dead proxy or a black-holed route.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 128) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "black hole: " << strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    accepter_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        const int c = accept(fd_, nullptr, nullptr);
        if (c >= 0) held_.push_back(c);
      }
    });
  }
  ~BlackHole() {
    stop_ = true;
    if (accepter_.joinable()) accepter_.join();
    for (int c : held_) close(c);
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread accepter_;
};

class DeadSourceE2E : public FleetE2E {
 protected:
  void TearDown() override {
    if (stopped_redis_pid_ > 0) kill(stopped_redis_pid_, SIGCONT);
    if (!stopped_redis_dir_.empty()) {
      testing::Shell(testing::SourcePath("tests/servers/redis.sh") + " down " + stopped_redis_dir_);
    }
    for (const char* name : {"dead-hole", "dead-stopped"}) {
      (void)client_->Patch(kPricingAgentFleets, ns(), name, kube::rest::PatchType::kJsonMerge,
                           {{"metadata", {{"finalizers", nullptr}}}});
    }
    FleetE2E::TearDown();
  }

  // A Redis that accepts connections (the kernel does) and answers nothing.
  int StartStoppedRedis() {
    stopped_redis_dir_ = dir_ + "/stopped-redis";
    std::string out;
    EXPECT_EQ(
        testing::Shell(testing::SourcePath("tests/servers/redis.sh") + " up " + stopped_redis_dir_,
                       &out),
        0)
        << out;
    stopped_redis_pid_ = std::stoi(ReadFile(stopped_redis_dir_ + "/redis.pid"));
    kill(stopped_redis_pid_, SIGSTOP);
    return std::stoi(ReadFile(stopped_redis_dir_ + "/port"));
  }

  void CreateDeadFleet(const std::string& name, int port) {
    Json f = Fleet();
    f["metadata"]["name"] = name;
    const std::string url =
        "redis://" + std::string(kRedisUser) + "@127.0.0.1:" + std::to_string(port) + "/0";
    f["spec"]["queue"]["redisStreams"]["url"] = url;
    f["spec"]["leases"]["redis"]["url"] = url;
    auto created = client_->Create(kPricingAgentFleets, ns(), f);
    ASSERT_TRUE(created.ok()) << created.error().ToString();
  }

  // Seconds from `kubectl scale` to `replicas` pods, balanced, every shard held.
  double ScaleTo(int replicas, Watchdog& dog) {
    const auto t0 = SteadyClock::now();
    auto patched =
        client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                       {{"spec", {{"replicas", replicas}}}});
    EXPECT_TRUE(patched.ok()) << patched.error().ToString();
    EXPECT_TRUE(Eventually([&] { return Settled(replicas, dog); }, 120s)) << Diagnostics();
    return std::chrono::duration<double>(SteadyClock::now() - t0).count();
  }

  bool Degraded(const std::string& name) {
    auto f = client_->Get(kPricingAgentFleets, ns(), name);
    if (!f) return false;
    const Json status = f->value("status", Json::object());
    for (const auto& c : status.value("conditions", Json::array())) {
      if (c.value("type", "") == "Degraded" && c.value("status", "") == "True") return true;
    }
    return false;
  }

  std::string stopped_redis_dir_;
  pid_t stopped_redis_pid_ = -1;
};

TEST_F(DeadSourceE2E, TwoFleetsWithDeadSourcesDoNotSlowAHealthyOne) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();
  f["spec"].erase("autoscaling");
  f["spec"]["replicas"] = 1;
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), f).ok());
  Watchdog dog(OpenLeases(), ns());
  StartController();
  StartKubelet();
  ASSERT_TRUE(Eventually([&] { return Settled(1, dog); }, 90s)) << Diagnostics();

  // Medians of 3 cycles: a scale-down waits for the agents to let go, which a
  // pass may see only at its next poll, so one cycle alone varies by seconds.
  auto cycles = [&](std::vector<double>& up, std::vector<double>& down) {
    for (int i = 0; i < 3; ++i) {
      up.push_back(ScaleTo(4, dog));
      down.push_back(ScaleTo(1, dog));
    }
  };
  std::vector<double> up_alone, down_alone, up_beside, down_beside;
  cycles(up_alone, down_alone);

  BlackHole hole;
  CreateDeadFleet("dead-hole", hole.port());
  CreateDeadFleet("dead-stopped", StartStoppedRedis());
  ASSERT_TRUE(Eventually([&] { return Degraded("dead-hole") && Degraded("dead-stopped"); }, 60s))
      << "the dead fleets never reported their sources";
  std::this_thread::sleep_for(5s);  // their passes keep failing meanwhile

  cycles(up_beside, down_beside);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::cout << "healthy fleet, 1 -> 4 -> 1 pods, medians of 3: alone " << median(up_alone)
            << " s + " << median(down_alone) << " s; beside two fleets with dead sources "
            << median(up_beside) << " s + " << median(down_beside) << " s\n";
  EXPECT_LE(median(up_beside), median(up_alone) * 2 + 2) << "scale-up slowed by the dead fleets";
  EXPECT_LE(median(down_beside), median(down_alone) * 2 + 2)
      << "scale-down slowed by the dead fleets";
  EXPECT_TRUE(dog.Violations().empty()) << dog.Violations().front();
  EXPECT_EQ(controller_.Stop(), 0);
}

}  // namespace
}  // namespace agentfleet
