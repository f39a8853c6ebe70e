// The operator image that `make images` built, run as a pod would run it:
// its ENTRYPOINT from its root filesystem (read-only), as its USER, with no
// capabilities, configured in-cluster from a service account token projected
// at /var/run/secrets/kubernetes.io/serviceaccount (tests/image/run.sh), against
// the local control plane and a real Redis. It brings a fleet to its plan with
// the libraries the image holds, and stops cleanly on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "controller/kube/rest/client.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "tests/support/cluster.h"
#include "tests/support/fleet_setup.h"
#include "tests/support/wait.h"

namespace agentfleet {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using kube::rest::resources::kPods;
using kube::rest::resources::kPricingAgentFleets;
using testing::Eventually;

const kube::rest::Resource kServiceAccounts{"", "v1", "serviceaccounts", true};
const kube::rest::Resource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
constexpr const char* kPassword = "pl4nted-Image-PASSWORD";
constexpr const char* kRedisUser = "fleet-image-test";
// The image's USER, as the Dockerfile sets it.
constexpr uid_t kImageUser = 65532;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// "Key:\tv1\tv2..." lines of /proc/PID/status.
std::map<std::string, std::string> ProcStatus(pid_t pid) {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

class ControllerImage : public ::testing::Test {
 protected:
  void SetUp() override {
    image_dir_ = Env("AGENTFLEET_IMAGE_CONTROLLER_DIR");
    ASSERT_FALSE(image_dir_.empty()) << "AGENTFLEET_IMAGE_CONTROLLER_DIR is not set (run through "
                                        "ctest -L image, after make images)";
    rootfs_ = Trimmed(ReadFile(image_dir_ + "/rootfs"));
    ASSERT_TRUE(std::filesystem::is_directory(rootfs_)) << "no root filesystem in " << image_dir_;
    work_ = std::filesystem::temp_directory_path() /
            ("agentfleet-image-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(work_ / "serviceaccount");
    // It will hold the token.
    std::filesystem::permissions(work_, std::filesystem::perms::owner_all);
  }
  void TearDown() override { std::filesystem::remove_all(work_); }

  std::string image_dir_;
  std::string rootfs_;
  std::filesystem::path work_;
};

TEST_F(ControllerImage, RunsAsItsUserFromItsRootFilesystemAndReconcilesAFleet) {
  int redis = testing::FixturePort("AGENTFLEET_REDIS_DIR");
  ASSERT_NE(redis, 0) << "AGENTFLEET_REDIS_DIR is not set (run through ctest)";
  auto client = testing::ClusterClient();
  auto installed = testing::InstallFleetCrd(*client, "agentfleet-image-test");
  ASSERT_TRUE(installed.ok()) << installed.error().ToString();
  ASSERT_EQ(testing::AddRedisUser(redis, kRedisUser, kPassword), 0);

  testing::ScopedNamespace ns(*client, "image");
  ASSERT_TRUE(client
                  ->Create(kube::rest::resources::kSecrets, ns.name(),
                           testing::RedisSecret(ns.name(), kPassword))
                  .ok());
  Json fleet = testing::RedisFleet(ns.name(), testing::RedisUserUrl(redis, kRedisUser),
                                   "it-" + ns.name() + ":tasks", "it-" + ns.name() + ":leases:");
  fleet["spec"].erase("autoscaling");
  fleet["spec"]["replicas"] = 2;
  fleet["spec"]["shards"] = 12;
  auto created = client->Create(kPricingAgentFleets, ns.name(), fleet);
  ASSERT_TRUE(created.ok()) << created.error().ToString();

  // The pod's identity: a ServiceAccount with every right in its namespace
  // only (the operator watches that namespace), and a token for it where the
  // kubelet projects one.
  ASSERT_TRUE(client
                  ->Create(kServiceAccounts, ns.name(),
                           {{"apiVersion", "v1"},
                            {"kind", "ServiceAccount"},
                            {"metadata", {{"name", "agentfleet"}, {"namespace", ns.name()}}}})
                  .ok());
  ASSERT_TRUE(
      client
          ->Create(
              kRoleBindings, ns.name(),
              {{"apiVersion", "rbac.authorization.k8s.io/v1"},
               {"kind", "RoleBinding"},
               {"metadata", {{"name", "agentfleet"}, {"namespace", ns.name()}}},
               {"roleRef",
                {{"apiGroup", "rbac.authorization.k8s.io"},
                 {"kind", "ClusterRole"},
                 {"name", "cluster-admin"}}},
               {"subjects",
                {{{"kind", "ServiceAccount"}, {"name", "agentfleet"}, {"namespace", ns.name()}}}}})
          .ok());
  std::string token;
  ASSERT_EQ(testing::RunTool("kubectl",
                             "create token agentfleet -n " + ns.name() + " --duration=1h", &token),
            0)
      << token;
  token = Trimmed(token);
  std::ofstream(work_ / "serviceaccount" / "token") << token;
  std::ofstream(work_ / "serviceaccount" / "namespace") << ns.name();
  std::filesystem::copy_file(Env("AGENTFLEET_CLUSTER_DIR") + "/pki/ca.crt",
                             work_ / "serviceaccount" / "ca.crt");
  std::string api_port = Trimmed(ReadFile(Env("AGENTFLEET_CLUSTER_DIR") + "/apiserver-port"));
  ASSERT_FALSE(api_port.empty());

  int metrics = testing::FreePort();
  int health = testing::FreePort();
  std::string log = (work_ / "controller.log").string();
  // /var/run is a symlink to /run in the image: the token is projected at the
  // link's target, and the operator reads it through the link.
  pid_t pid = testing::StartProcess(
      Env("AGENTFLEET_IMAGE_RUN"),
      {image_dir_, "--env", "KUBERNETES_SERVICE_HOST=127.0.0.1", "--env",
       "KUBERNETES_SERVICE_PORT=" + api_port, "--secret",
       (work_ / "serviceaccount").string() + ":/run/secrets/kubernetes.io/serviceaccount", "--",
       "--namespace", ns.name(), "--leader-elect", "--leader-election-namespace", ns.name(),
       "--metrics-bind-address", "127.0.0.1:" + std::to_string(metrics),
       "--health-probe-bind-address", "127.0.0.1:" + std::to_string(health), "--log-level",
       "debug"},
      log);
  // An assertion that ends the test early must not leave the process behind.
  struct Reaper {
    pid_t pid;
    bool reaped = false;
    ~Reaper() {
      if (reaped) return;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  auto stop = [&] {
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 150 && !reaper.reaped; ++i) {
      reaper.reaped = waitpid(pid, &status, WNOHANG) == pid;
      if (!reaper.reaped) std::this_thread::sleep_for(100ms);
    }
    return status;
  };

  auto balanced = [&] {
    auto list = client->List(kPods, ns.name(), {.label_selector = "agentfleet.io/fleet=pricing"});
    if (!list || list->items.size() != 2) return false;
    for (const auto& p : list->items) {
      auto shards = sources::protocol::ParseShardRanges(
          p["metadata"]["annotations"].value("agentfleet.io/shards", ""), 12);
      if (!shards || shards->size() != 6) return false;
    }
    return true;
  };
  // A binary that cannot start from the image (a library missing, a file it
  // cannot read as its user) exits at once: that ends the wait.
  int early_status = 0;
  bool ok = Eventually(
      [&] {
        reaper.reaped = waitpid(pid, &early_status, WNOHANG) == pid;
        return reaper.reaped || balanced();
      },
      90s);
  if (reaper.reaped) {
    FAIL() << "the image's operator exited (status " << early_status << "); it logged:\n"
           << ReadFile(log);
  }
  if (!ok) FAIL() << "no 2 balanced pods; the image's operator logged:\n" << ReadFile(log);

  // The process that did it is the image's binary, as the image's user, with
  // nothing to escalate to.
  struct stat running {};
  struct stat shipped {};
  EXPECT_EQ(stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &running), 0);
  EXPECT_EQ(stat((rootfs_ + "/usr/local/bin/agentfleet-controller").c_str(), &shipped), 0);
  EXPECT_TRUE(running.st_dev == shipped.st_dev && running.st_ino == shipped.st_ino)
      << "the process does not run the image's /usr/local/bin/agentfleet-controller";
  auto status = ProcStatus(pid);
  const std::string user = std::to_string(kImageUser);
  const std::string ids = user + "\t" + user + "\t" + user + "\t" + user;
  EXPECT_EQ(status["Uid"], ids);
  EXPECT_EQ(status["Gid"], ids);
  EXPECT_EQ(status["Groups"], "");
  EXPECT_EQ(status["CapEff"], "0000000000000000");
  EXPECT_EQ(status["CapPrm"], "0000000000000000");
  EXPECT_EQ(status["NoNewPrivs"], "1");

  const std::string labels = "{namespace=\"" + ns.name() + "\",fleet=\"pricing\"";
  std::string text;
  EXPECT_TRUE(Eventually(
      [&] {
        testing::Shell("curl -s http://127.0.0.1:" + std::to_string(metrics) + "/metrics", &text);
        return text.find("agentfleet_ready_replicas" + labels + "} 2") != std::string::npos &&
               text.find("agentfleet_shards" + labels + ",state=\"assigned\"} 12") !=
                   std::string::npos;
      },
      30s))
      << text;
  EXPECT_TRUE(Eventually(
      [&] {
        return testing::Shell("curl -sf http://127.0.0.1:" + std::to_string(health) + "/readyz") ==
               0;
      },
      30s))
      << "/readyz never answered 200";

  // The finalizer runs in the image's process too.
  ASSERT_TRUE(client->Delete(kPricingAgentFleets, ns.name(), "pricing").ok());
  EXPECT_TRUE(Eventually(
      [&] {
        auto got = client->Get(kPricingAgentFleets, ns.name(), "pricing");
        return !got.ok() && got.error().code == ErrorCode::kNotFound;
      },
      60s))
      << "the finalizer was not removed; the operator logged:\n"
      << ReadFile(log);

  int exit_status = stop();
  ASSERT_TRUE(WIFEXITED(exit_status)) << "did not stop within 15 s of SIGTERM";
  EXPECT_EQ(WEXITSTATUS(exit_status), 0) << ReadFile(log);
  std::string text_log = ReadFile(log);
  EXPECT_NE(text_log.find("fleet controller started"), std::string::npos) << text_log;
  EXPECT_NE(text_log.find("in-cluster service account"), std::string::npos)
      << "the operator did not configure itself from the projected token: " << text_log;
  EXPECT_EQ(text_log.find(kPassword), std::string::npos)
      << "the Redis password leaked into the log";
  EXPECT_EQ(text_log.find(token), std::string::npos) << "the token leaked into the log";
}

}  // namespace
}  // namespace agentfleet
