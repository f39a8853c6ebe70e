#include "tests/support/cluster.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>

namespace agentfleet::testing {

std::unique_ptr<kube::Client> ClusterClient(kube::ClientOptions options) {
  const char* path = std::getenv("KUBECONFIG");
  if (path == nullptr || *path == '\0') {
    std::cerr << "KUBECONFIG is not set: run this test through ctest (cluster fixture)\n";
    std::abort();
  }
  auto cfg = kube::LoadKubeconfig(path);
  if (!cfg) {
    std::cerr << cfg.error().ToString() << "\n";
    std::abort();
  }
  auto client = kube::Client::Create(std::move(cfg).value(), std::move(options));
  if (!client) {
    std::cerr << client.error().ToString() << "\n";
    std::abort();
  }
  return std::move(client).value();
}

ScopedNamespace::ScopedNamespace(kube::Client& client, const std::string& prefix)
    : client_(client) {
  std::random_device rd;
  name_ = prefix + "-" + std::to_string(rd() % 1000000);
  auto r = client_.Create(
      kube::resources::kNamespaces, "",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_}}}});
  if (!r) {
    std::cerr << "create namespace " << name_ << ": " << r.error().ToString() << "\n";
    std::abort();
  }
}

ScopedNamespace::~ScopedNamespace() {
  (void)client_.Delete(kube::resources::kNamespaces, "", name_, {});
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
  std::string cmd = (dir.empty() ? tool : dir + "/" + tool) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  while (fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  int rc = pclose(p);
  if (output != nullptr) *output = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace agentfleet::testing
