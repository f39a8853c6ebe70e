// A fleet's author chooses its sources' URLs. One pointed at a server that
// answers every Redis command with an endless reply must leave the operator
// (the shipped binary, against the local control plane) within its memory
// limit, and the fleet Degraded with a reason that says what happened.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "controller/kube/rest/client.h"
#include "tests/support/cluster.h"
#include "tests/support/fleet_setup.h"
#include "tests/support/wait.h"

namespace agentfleet {
namespace {

namespace asio = boost::asio;
using Json = nlohmann::json;
using namespace std::chrono_literals;
using kube::rest::resources::kPricingAgentFleets;

const std::string kBinary = AGENTFLEET_BIN_DIR "/agentfleet-controller";

// Peak resident memory of a process, in MiB.
long PeakRssMiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

// Answers each connection's first command with an array of a million
// elements that never ends (256 MiB at most per connection), one connection
// after another, until stopped.
class EndlessArrayServer {
 public:
  EndlessArrayServer() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    std::string unit;
    for (int i = 0; i < 4096; ++i) unit += ":1\r\n";
    thread_ = std::thread([this, unit] {
      while (!stop_) {
        asio::ip::tcp::socket s(io_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        ++connections_;
        char buf[4096];
        s.read_some(asio::buffer(buf), ec);
        asio::write(s, asio::buffer(std::string("*1000000000\r\n")), ec);
        for (size_t sent = 0; !ec && !stop_ && sent < (size_t{256} << 20); sent += unit.size()) {
          asio::write(s, asio::buffer(unit), ec);
        }
      }
    });
  }
  ~EndlessArrayServer() {
    stop_ = true;
    // A blocking accept does not return when the acceptor is closed from
    // another thread: wake it with a connection of our own.
    asio::io_context io;
    asio::ip::tcp::socket wake(io);
    boost::system::error_code ec;
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
};

TEST(HostileSource, AnEndlessRedisReplyLeavesTheOperatorBoundedAndTheFleetDegraded) {
  const int redis = testing::FixturePort("AGENTFLEET_REDIS_DIR");
  ASSERT_NE(redis, 0) << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
  auto client = testing::ClusterClient();
  ASSERT_TRUE(testing::InstallFleetCrd(*client, "agentfleet-hostile-test").ok());
  testing::ScopedNamespace ns(*client, "hostile");
  EndlessArrayServer hostile;

  // Leases on the real Redis; the queue on the hostile server.
  Json fleet = testing::RedisFleet(ns.name(), "redis://127.0.0.1:" + std::to_string(redis) + "/0",
                                   "ht-" + ns.name() + ":tasks", "ht-" + ns.name() + ":leases:");
  fleet["spec"]["queue"]["redisStreams"]["url"] =
      "redis://127.0.0.1:" + std::to_string(hostile.port()) + "/0";
  fleet["spec"]["queue"]["redisStreams"].erase("passwordSecretRef");
  fleet["spec"]["leases"]["redis"].erase("passwordSecretRef");
  fleet["spec"]["autoscaling"]["pollIntervalSeconds"] = 1;
  ASSERT_TRUE(client->Create(kPricingAgentFleets, ns.name(), fleet).ok());

  std::string log = "/tmp/agentfleet-hostile-test-" + std::to_string(getpid()) + ".log";
  pid_t pid =
      testing::StartProcess(kBinary,
                            {"--kubeconfig", std::getenv("KUBECONFIG"), "--namespace", ns.name(),
                             "--metrics-bind-address", "0", "--health-probe-bind-address", "0"},
                            log);

  std::string message;
  const bool degraded = testing::Eventually(
      [&] {
        auto f = client->Get(kPricingAgentFleets, ns.name(), "pricing");
        if (!f || !(*f).contains("status")) return false;
        for (const auto& c : (*f)["status"].value("conditions", Json::array())) {
          if (c.value("type", "") == "Degraded" && c.value("status", "") == "True" &&
              c.value("reason", "") == "QueueDepthUnavailable") {
            message = c.value("message", "");
            return true;
          }
        }
        return false;
      },
      60s);
  // More passes against the same server: the peak must not creep.
  const int seen = hostile.connections();
  testing::Eventually([&] { return hostile.connections() >= seen + 3; }, 30s);
  const long peak = PeakRssMiB(pid);
  const bool alive = waitpid(pid, nullptr, WNOHANG) == 0;
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 150 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(100ms);

  EXPECT_TRUE(alive) << "the operator died; log in " << log;
  ASSERT_TRUE(degraded) << "no Degraded=True QueueDepthUnavailable; log in " << log;
  EXPECT_NE(message.find("redis reply of more than 1048576 elements refused"), std::string::npos)
      << message;
  EXPECT_GE(hostile.connections(), seen + 3) << "the source was not read again";
  // The chart's memory limit is 512 Mi; the reply budget keeps the peak far below.
  EXPECT_LT(peak, 256) << "peak RSS " << peak << " MiB";
  std::cerr << "operator peak RSS: " << peak << " MiB over " << hostile.connections()
            << " endless replies\n";
  std::remove(log.c_str());
}

}  // namespace
}  // namespace agentfleet
