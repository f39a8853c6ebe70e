// A process that campaigns for a Lease and writes its terms to a log file:
//   elector_probe NAMESPACE LEASE LOGFILE
// Lines: "start ID NS", "lead ID NS" every 50 ms while leading, "stop ID NS",
// with NS the wall clock in nanoseconds, comparable across processes.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "controller/kube/leader/leader_elector.h"
#include "tests/support/cluster.h"

namespace {
std::atomic<agentfleet::kube::leader::LeaderElector*> g_elector{nullptr};
void OnTerm(int) {
  if (auto* e = g_elector.load()) e->Stop();
}
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace agentfleet::kube::leader;
  if (argc != 4) {
    std::cerr << "usage: elector_probe NAMESPACE LEASE LOGFILE\n";
    return 2;
  }
  auto client = agentfleet::testing::ClusterClient({.request_timeout = std::chrono::seconds(2)});
  std::ofstream log(argv[3], std::ios::app);
  std::mutex log_mu;
  std::string id = MakeLeaderIdentity();
  auto write = [&](const char* what) {
    std::lock_guard lock(log_mu);
    log << what << " " << id << " " << NowNs() << std::endl;
  };
  LeaderElectionConfig cfg{.namespace_name = argv[1],
                           .name = argv[2],
                           .identity = id,
                           .lease_duration = std::chrono::milliseconds(3000),
                           .renew_deadline = std::chrono::milliseconds(2000),
                           .retry_period = std::chrono::milliseconds(500),
                           .on_started_leading = [&] { write("start"); },
                           .on_stopped_leading = [&] { write("stop"); }};
  LeaderElector elector(*client, cfg);
  g_elector = &elector;
  std::signal(SIGTERM, OnTerm);
  std::atomic<bool> done{false};
  std::thread beat([&] {
    while (!done) {
      if (elector.IsLeader()) write("lead");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  elector.Run();
  done = true;
  beat.join();
  return 0;
}
