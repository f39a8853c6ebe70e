#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "controller/kube/leader/leader_elector.h"
#include "tests/support/cluster.h"

namespace agentfleet::kube::leader {
namespace {

using namespace std::chrono_literals;

struct Line {
  std::string what, id;
  int64_t ns;
};

std::vector<Line> ReadLog(const std::string& path) {
  std::vector<Line> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) {
    std::istringstream s(l);
    Line x;
    if (s >> x.what >> x.id >> x.ns) out.push_back(x);
  }
  return out;
}

pid_t Spawn(const std::string& ns, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string self =
        std::filesystem::read_symlink("/proc/self/exe").parent_path() / "elector_probe";
    execl(self.c_str(), self.c_str(), ns.c_str(), "probe-lease", log.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits until some process other than `except` has logged "start"; returns its id.
std::string WaitForLeader(const std::vector<std::string>& logs, const std::string& except,
                          int64_t* started_ns, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& log : logs) {
      for (const auto& l : ReadLog(log)) {
        if (l.what == "start" && l.id != except) {
          *started_ns = l.ns;
          return l.id;
        }
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  return "";
}

TEST(LeaderElection, KilledLeaderIsReplacedWithoutOverlap) {
  auto client = testing::ClusterClient();
  testing::ScopedNamespace ns(*client, "leader");
  auto dir = std::filesystem::temp_directory_path() / ("leader-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::vector<std::string> logs = {(dir / "a.log").string(), (dir / "b.log").string()};
  pid_t a = Spawn(ns.name(), logs[0]);
  pid_t b = Spawn(ns.name(), logs[1]);

  int64_t first_start = 0;
  std::string first = WaitForLeader(logs, "", &first_start, 30s);
  ASSERT_FALSE(first.empty()) << "nobody was elected";
  std::this_thread::sleep_for(2s);  // a few renewals
  bool a_leads = !ReadLog(logs[0]).empty() && ReadLog(logs[0])[0].id == first;
  pid_t leader = a_leads ? a : b, standby = a_leads ? b : a;
  const std::string& standby_log = a_leads ? logs[1] : logs[0];

  int64_t killed_ns = WallNs();
  ASSERT_EQ(kill(leader, SIGKILL), 0);
  waitpid(leader, nullptr, 0);

  int64_t second_start = 0;
  std::string second = WaitForLeader({standby_log}, first, &second_start, 20s);
  ASSERT_FALSE(second.empty()) << "the standby never took over";
  double takeover = (second_start - killed_ns) / 1e9;
  std::cout << "takeover after kill -9: " << takeover << " s\n";
  // Within lease duration (3 s) + retry period (0.5 s), plus the jitter and the
  // retry during which the standby first noticed the last renewal.
  EXPECT_LT(takeover, 3.0 + 0.5 + 1.2);

  // No overlap: every "lead" of the old leader precedes the new leader's start.
  for (const auto& l : ReadLog(a_leads ? logs[0] : logs[1])) {
    EXPECT_LT(l.ns, second_start) << l.what << " by the killed leader after the new one started";
  }

  // A clean stop releases the lease at once.
  ASSERT_EQ(kill(standby, SIGTERM), 0);
  int status = 0;
  waitpid(standby, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto lease = client->Get(rest::resources::kLeases, ns.name(), "probe-lease");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "") << lease->dump();
  EXPECT_GE((*lease)["spec"]["leaseTransitions"].get<int>(), 1);
  auto logs_after = ReadLog(standby_log);
  ASSERT_FALSE(logs_after.empty());
  EXPECT_EQ(logs_after.back().what, "stop");

  // A newcomer takes a released lease without waiting out the lease duration.
  std::string c_log = (dir / "c.log").string();
  int64_t before = WallNs();
  pid_t c = Spawn(ns.name(), c_log);
  int64_t c_start = 0;
  ASSERT_FALSE(WaitForLeader({c_log}, "", &c_start, 10s).empty());
  EXPECT_LT((c_start - before) / 1e9, 2.5);
  kill(c, SIGTERM);
  waitpid(c, nullptr, 0);
  std::filesystem::remove_all(dir);
}

TEST(LeaderElection, IdentityIsPodNamePlusSuffix) {
  setenv("POD_NAME", "agentfleet-controller-7d9f", 1);
  auto a = MakeLeaderIdentity(), b = MakeLeaderIdentity();
  EXPECT_TRUE(a.starts_with("agentfleet-controller-7d9f_")) << a;
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace agentfleet::kube::leader
