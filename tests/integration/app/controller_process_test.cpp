// The agentfleet-controller binary against the local control plane: flags,
// probes, metrics in the Prometheus text format, JSON logs, leader election
// and a clean shutdown.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/cluster.h"

namespace agentfleet {
namespace {

using namespace std::chrono_literals;
const std::string kBinary = AGENTFLEET_BIN_DIR "/agentfleet-controller";

pid_t Start(const std::vector<std::string>& args, const std::string& log) {
  return testing::StartProcess(kBinary, args, log);
}

int Curl(const std::string& url, std::string* body) {
  std::string out;
  int rc = testing::Shell("curl -s -o /dev/stdout -w '\\n%{http_code}' " + url, &out);
  if (rc != 0) return 0;
  auto nl = out.rfind('\n');
  if (body) *body = out.substr(0, nl);
  return std::atoi(out.substr(nl + 1).c_str());
}

// A sample line of the text exposition format, `name[{labels}] value`, split
// into its key (name and labels) and value; false if it is not one. Written
// out rather than with <regex>, which GCC 12 compiles under ASan+UBSan only
// with a false -Wmaybe-uninitialized inside std::function.
bool SplitSample(const std::string& l, std::string& key, std::string& value) {
  auto name_char = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
  };
  size_t i = 0;
  while (i < l.size() && name_char(l[i], i == 0)) ++i;
  if (i == 0) return false;
  if (i < l.size() && l[i] == '{') {
    const size_t close = l.find('}', i);
    if (close == std::string::npos) return false;
    i = close + 1;
  }
  if (i >= l.size() || l[i] != ' ') return false;
  key = l.substr(0, i);
  value = l.substr(i + 1);
  return !value.empty() && value.find_first_of(" \t") == std::string::npos;
}

// name{labels} -> value, from the text exposition format.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.empty() || l[0] == '#') continue;
    std::string key, value;
    EXPECT_TRUE(SplitSample(l, key, value)) << "not exposition format: " << l;
    if (!key.empty()) out[key] = std::stod(value);
  }
  return out;
}

TEST(ControllerProcess, ServesProbesAndMetricsLeadsAndStopsCleanly) {
  auto client = testing::ClusterClient();
  testing::ScopedNamespace ns(*client, "controller");
  int metrics = testing::FreePort(), probes = testing::FreePort();
  std::string log = "/tmp/agentfleet-controller-" + std::to_string(getpid()) + ".log";
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  rlimit low = files;
  low.rlim_cur = std::min<rlim_t>(files.rlim_max, 512);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);  // the child inherits it
  pid_t pid =
      Start({"--kubeconfig", std::getenv("KUBECONFIG"), "--leader-elect",
             "--leader-election-namespace", ns.name(), "--metrics-bind-address",
             "127.0.0.1:" + std::to_string(metrics), "--health-probe-bind-address",
             "127.0.0.1:" + std::to_string(probes), "--kube-api-qps", "50", "--log-level", "debug"},
            log);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  std::string base = "http://127.0.0.1:" + std::to_string(probes);
  int ready = 0;
  for (int i = 0; i < 200 && ready != 200; ++i) {
    ready = Curl(base + "/readyz", nullptr);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(ready, 200) << "never ready; log in " << log;
  EXPECT_EQ(Curl(base + "/healthz", nullptr), 200);
  EXPECT_EQ(Curl(base + "/nope", nullptr), 404);

  std::map<std::string, double> m;
  for (int i = 0; i < 100; ++i) {  // leadership comes within a retry period
    std::string text;
    ASSERT_EQ(Curl("http://127.0.0.1:" + std::to_string(metrics) + "/metrics", &text), 200);
    m = ParseMetrics(text);
    if (m["leader_election_master_status{name=\"agentfleet-controller\"}"] == 1) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(m["leader_election_master_status{name=\"agentfleet-controller\"}"], 1);
  EXPECT_GT(m["rest_client_requests_total{code=\"201\",method=\"POST\"}"], 0)
      << "the lease was created";
  EXPECT_GT(m["rest_client_requests_total{code=\"200\",method=\"LIST\"}"], 0);
  auto lease = client->Get(kube::rest::resources::kLeases, ns.name(), "agentfleet-controller");
  ASSERT_TRUE(lease.ok());
  EXPECT_FALSE((*lease)["spec"]["holderIdentity"].get<std::string>().empty());

  // Started with a low soft limit of open files, it raised it to the hard one
  // (controller/base/fd_limit.h).
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  std::string line, soft, hard;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    fields >> soft >> hard;
  }
  EXPECT_FALSE(soft.empty());
  EXPECT_EQ(soft, hard);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(WIFEXITED(status)) << "did not stop within 10 s";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  lease = client->Get(kube::rest::resources::kLeases, ns.name(), "agentfleet-controller");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "") << "the lease is released on shutdown";

  std::ifstream in(log);
  int lines = 0;
  for (std::string l; std::getline(in, l); ++lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON log line: " << l;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << l;
  }
  EXPECT_GT(lines, 3);
  std::remove(log.c_str());
}

TEST(ControllerProcess, BadFlagsAndBadKubeconfigAreClearErrors) {
  std::string out;
  EXPECT_EQ(testing::Shell(kBinary + " --kube-api-qps=fast", &out), 2);
  EXPECT_NE(out.find("invalid value \"fast\" for --kube-api-qps"), std::string::npos) << out;
  EXPECT_EQ(testing::Shell(kBinary + " --no-such-flag", &out), 2);
  EXPECT_NE(out.find("unknown flag --no-such-flag"), std::string::npos) << out;
  EXPECT_EQ(testing::Shell(kBinary + " --help", &out), 0);
  EXPECT_NE(out.find("--leader-election-namespace"), std::string::npos);

  std::string bad = "/tmp/agentfleet-bad-kubeconfig-" + std::to_string(getpid());
  std::ofstream(bad) << "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
                        "clusters:\n- name: c\n  cluster: {server: 'ftp://nope'}\n";
  EXPECT_EQ(testing::Shell(kBinary + " --kubeconfig " + bad + " --metrics-bind-address=0", &out),
            1);
  EXPECT_NE(out.find("clusters[0].cluster.server: must start with https://"), std::string::npos)
      << out;
  std::remove(bad.c_str());
}

}  // namespace
}  // namespace agentfleet
