#pragma once

// Runs pricing-agent as a child process for the integration tests: its
// stdout and stderr (JSON logs) go to a file, signals by pid.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace agentfleet::agent::testing {

// build/bin/pricing-agent.
std::string AgentBinary();

class AgentProcess {
 public:
  // Starts `AgentBinary() args...` with the current environment plus `env`.
  AgentProcess(std::vector<std::string> args, std::string log_path,
               std::map<std::string, std::string> env = {});
  ~AgentProcess();  // SIGKILL if still running
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // The exit code (or 128 + signal) once the process ended within `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();
  std::string Log() const;
  // The port from the "serving /metrics and /healthz" log line, once logged.
  std::optional<int> MetricsPort(std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// GET http://127.0.0.1:port/path → body (empty on failure) and status.
int HttpGet(int port, const std::string& path, std::string* body);

// The value of an unlabelled (or exactly labelled) sample in a metrics text.
std::optional<double> MetricValue(const std::string& text, const std::string& series);

// Polls `pred` every 20 ms until it holds or `timeout` passes.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// Writes `content` to `path` atomically (temporary file + rename), as the
// kubelet's symlink swap makes a new version appear whole.
void WriteFileAtomically(const std::string& path, const std::string& content);

// The downward-API annotations file for an assignment.
std::string AnnotationsFile(int64_t generation, const std::string& shards);

// The Redis port of the CTest fixture ($AGENTFLEET_REDIS_DIR/port).
int RedisPort();

}  // namespace agentfleet::agent::testing
