// kubeconfig files, as a user hands one over with --kubeconfig. The file's
// own directory does not exist, so relative certificate and token paths fail
// the way a missing file does. Properties: no crash and no exception; an
// error names the kubeconfig; an accepted config has an http(s) server
// without a trailing slash and a namespace.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/kube/config/rest_config.h"
#include "tests/fuzz/fuzz_check.h"

using agentfleet::kube::config::KubeconfigOptions;
using agentfleet::kube::config::ParseKubeconfig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string path = "/nonexistent/agentfleet-fuzz/kubeconfig";
  for (const KubeconfigOptions& opts : {KubeconfigOptions{}, KubeconfigOptions{.context = "ctx"}}) {
    auto cfg = ParseKubeconfig(text, path, opts);
    if (!cfg.ok()) {
      FUZZ_CHECK(cfg.error().message.find("kubeconfig " + path) == 0);
      continue;
    }
    FUZZ_CHECK(cfg->server.starts_with("https://") || cfg->server.starts_with("http://"));
    FUZZ_CHECK(!cfg->server.ends_with('/'));
    FUZZ_CHECK(!cfg->namespace_name.empty());
    FUZZ_CHECK(cfg->client_cert_pem.empty() == cfg->client_key_pem.empty());
  }
  return 0;
}
