#include "tests/integration/agent/agent_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace agentfleet::agent::testing {

std::string AgentBinary() {
  return AGENTFLEET_BIN_DIR "/pricing-agent";
}

AgentProcess::AgentProcess(std::vector<std::string> args, std::string log_path,
                           std::map<std::string, std::string> env)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    if (env.count(kv.substr(0, kv.find('='))) == 0) envs.push_back(kv);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string bin = AgentBinary();
  std::vector<char*> argv{bin.data()};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + bin);
}

AgentProcess::~AgentProcess() {
  if (running()) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(5));
  }
}

void AgentProcess::Signal(int sig) {
  if (!status_) kill(pid_, sig);
}

bool AgentProcess::running() {
  if (status_) return false;
  return !Wait(std::chrono::milliseconds(0)).has_value();
}

std::optional<int> AgentProcess::Wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string AgentProcess::Log() const {
  std::ifstream in(log_path_);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<int> AgentProcess::MetricsPort(std::chrono::milliseconds timeout) const {
  std::optional<int> port;
  Eventually(
      [&] {
        std::string log = Log();
        auto at = log.find("\"msg\":\"serving /metrics and /healthz\"");
        if (at == std::string::npos) return false;
        auto p = log.find("\"port\":", at);
        if (p == std::string::npos) return false;
        port = std::atoi(log.c_str() + p + 7);
        return true;
      },
      timeout);
  return port;
}

int HttpGet(int port, const std::string& path, std::string* body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return 0;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return 0;
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  if (resp.size() < 12) return 0;
  auto split = resp.find("\r\n\r\n");
  if (body) *body = split == std::string::npos ? "" : resp.substr(split + 4);
  return std::atoi(resp.c_str() + 9);
}

std::optional<double> MetricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

void WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::rename(tmp.c_str(), path.c_str());
}

std::string AnnotationsFile(int64_t generation, const std::string& shards) {
  return "agentfleet.io/assignment-generation=\"" + std::to_string(generation) +
         "\"\nagentfleet.io/shards=\"" + shards +
         "\"\nkubectl.kubernetes.io/last-applied-configuration=\"{\\\"kind\\\":\\\"Pod\\\"}\\n\"\n";
}

int RedisPort() {
  const char* dir = std::getenv("AGENTFLEET_REDIS_DIR");
  if (dir == nullptr) throw std::runtime_error("AGENTFLEET_REDIS_DIR is not set");
  std::ifstream in(std::string(dir) + "/port");
  int port = 0;
  in >> port;
  if (port == 0) throw std::runtime_error("no redis port in $AGENTFLEET_REDIS_DIR");
  return port;
}

}  // namespace agentfleet::agent::testing
