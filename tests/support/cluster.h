#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controller/kube/rest/client.h"

namespace agentfleet::testing {

// A REST client for the fixture cluster named by $KUBECONFIG; aborts the test
// binary with a clear message when there is none.
std::unique_ptr<kube::rest::Client> ClusterClient(kube::rest::ClientOptions options = {});

// Creates a namespace with a unique name and deletes it when destroyed.
class ScopedNamespace {
 public:
  ScopedNamespace(kube::rest::Client& client, const std::string& prefix);
  ~ScopedNamespace();
  const std::string& name() const { return name_; }

 private:
  kube::rest::Client& client_;
  std::string name_;
};

// Runs a pinned tool (kubectl, etcdctl, ...) from the control-plane cache and
// returns its exit code; output goes to `output` when given.
int RunTool(const std::string& tool, const std::string& args, std::string* output = nullptr);

// Runs a shell command; returns its exit code and, when given, its output.
int Shell(const std::string& command, std::string* output = nullptr);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Starts `binary` with `args` in a child process whose stdout and stderr go
// to the file `log`, with this process's environment plus `env` ("K=V", which
// win); returns the child's pid.
int StartProcess(const std::string& binary, const std::vector<std::string>& args,
                 const std::string& log, const std::vector<std::string>& env = {});

// The fixture cluster's audit log files (tests/cluster/cluster.sh: every
// write, at Metadata level, with its user agent), rotated ones included;
// aborts with a clear message when the cluster keeps none.
std::vector<std::string> AuditLogFiles();

}  // namespace agentfleet::testing
