#include "tests/support/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

namespace agentfleet::testing {

std::unique_ptr<kube::rest::Client> ClusterClient(kube::rest::ClientOptions options) {
  const char* path = std::getenv("KUBECONFIG");
  if (path == nullptr || *path == '\0') {
    std::cerr << "KUBECONFIG is not set: run this test through ctest (cluster fixture)\n";
    std::abort();
  }
  auto cfg = kube::config::LoadKubeconfig(path);
  if (!cfg) {
    std::cerr << cfg.error().ToString() << "\n";
    std::abort();
  }
  auto client = kube::rest::Client::Create(std::move(cfg).value(), std::move(options));
  if (!client) {
    std::cerr << client.error().ToString() << "\n";
    std::abort();
  }
  return std::move(client).value();
}

ScopedNamespace::ScopedNamespace(kube::rest::Client& client, const std::string& prefix)
    : client_(client) {
  std::random_device rd;
  name_ = prefix + "-" + std::to_string(rd() % 1000000);
  auto r = client_.Create(
      kube::rest::resources::kNamespaces, "",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_}}}});
  if (!r) {
    std::cerr << "create namespace " << name_ << ": " << r.error().ToString() << "\n";
    std::abort();
  }
  // Pods are admitted only once the service-account controller has made the
  // namespace's "default" account, which takes longer after a control-plane restart.
  kube::rest::Resource sas{"", "v1", "serviceaccounts", true};
  for (int i = 0; i < 300; ++i) {
    if (client_.Get(sas, name_, "default").ok()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "namespace " << name_ << " never got its default service account\n";
  std::abort();
}

ScopedNamespace::~ScopedNamespace() {
  (void)client_.Delete(kube::rest::resources::kNamespaces, "", name_, {});
}

int RunTool(const std::string& tool, const std::string& args, std::string* output) {
  const char* tools = std::getenv("AGENTFLEET_TOOLS");
  std::string dir;
  if (tools != nullptr) {
    std::string cmd = std::string(tools) + " --path";
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 512> buf{};
    if (p != nullptr && fgets(buf.data(), buf.size(), p) != nullptr) dir = buf.data();
    if (p != nullptr) pclose(p);
    while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  }
  return Shell((dir.empty() ? tool : dir + "/" + tool) + " " + args, output);
}

int Shell(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  while (fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  int rc = pclose(p);
  if (output != nullptr) *output = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int StartProcess(const std::string& binary, const std::vector<std::string>& args,
                 const std::string& log, const std::vector<std::string>& env) {
  // Built before fork: the child of a threaded process may only exec.
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view var(*e);
    const bool overridden = std::any_of(env.begin(), env.end(), [&](const std::string& mine) {
      return var.substr(0, var.find('=') + 1) == mine.substr(0, mine.find('=') + 1);
    });
    if (!overridden) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::string> AuditLogFiles() {
  const char* dir = std::getenv("AGENTFLEET_CLUSTER_DIR");
  if (dir == nullptr || *dir == '\0') {
    std::cerr << "AGENTFLEET_CLUSTER_DIR is not set: run this test through ctest\n";
    std::abort();
  }
  const std::filesystem::path audit = std::filesystem::path(dir) / "audit";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(audit, ec)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path().string());
  }
  if (files.empty()) {
    std::cerr
        << "no audit log in " << audit
        << ": the cluster was started without one (restart it with tests/cluster/cluster.sh)\n";
    std::abort();
  }
  std::sort(files.begin(), files.end());
  return files;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace agentfleet::testing
