// agent-kubelet: the kubelet's part for pods on kwok's fake nodes. It runs one
// pricing-agent process on this host for every Ready pod that matches a label
// selector, with the environment the pod's first container declares, and
// stops it (SIGTERM, then SIGKILL after the pod's grace period) when the pod
// is deleted, stops being Ready or is replaced. An agent that exits while its
// pod should run is restarted, as restartPolicy Always would. Each agent reads
// its assignment from a downward-API annotations file that agent-kubelet
// writes before starting it and refreshes once every --annotations-sync-period
// (a minute, as a kubelet), so that tests run the agents the way production
// does, kubelet lag included; --assignment-from-api has them watch their Pod
// instead. Used by the end-to-end tests and by `make demo`; wiring only, the
// rules are in pod_agents.cpp, the flags in kubelet_options.cpp.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "controller/base/base64.h"
#include "controller/base/stop_signals.h"
#include "controller/kube/config/rest_config.h"
#include "controller/kube/rest/client.h"
#include "controller/kube/rest/resource.h"
#include "controller/obs/log.h"
#include "examples/agent/api_client.h"
#include "tools/agent-kubelet/kubelet_options.h"
#include "tools/agent-kubelet/pod_agents.h"

extern char** environ;

namespace {

using namespace agentfleet;  // NOLINT: a main file
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using tools::agent_kubelet::KubeletOptions;

struct Agent {
  pid_t pid = -1;
  std::string uid;
  bool stopping = false;
  Clock::time_point kill_at{};
  std::string annotations_file;  // empty: the agent watches its Pod
  std::string annotations;       // as last written
  Clock::time_point next_sync{};
};

std::string AnnotationsPath(const KubeletOptions& o, const std::string& pod) {
  return o.log_dir + "/" + pod + ".annotations";
}

// As the kubelet's atomic writer: a reader sees the old file or the new one.
bool WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = close(fd) == 0 && ok;
  return ok && rename(tmp.c_str(), path.c_str()) == 0;
}

std::string SelfDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

pid_t Spawn(const KubeletOptions& o, const tools::agent_kubelet::AgentSpec& spec) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (spec.env.count(key) > 0 || key == "AGENTFLEET_ASSIGNMENT_FILE") continue;
    env_strings.push_back(std::move(kv));
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  if (!o.kubeconfig.empty()) env_strings.push_back("KUBECONFIG=" + o.kubeconfig);
  std::vector<std::string> args{o.agent};
  if (o.assignment_from_api) {
    args.push_back("--assignment-from-api");
  } else {
    args.push_back("--assignment-file=" + AnnotationsPath(o, spec.pod));
  }
  args.insert(args.end(), o.agent_args.begin(), o.agent_args.end());
  const std::string log = o.log_dir + "/" + spec.pod + ".log";

  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(o.agent.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

int Run(const KubeletOptions& o) {
  obs::Logger log;
  auto client = agent::ConnectToApi(o.kubeconfig, "agent-kubelet", log);
  if (!client.ok()) {
    log.Error("cannot reach the API", {{"error", client.error()}});
    return 1;
  }
  ::mkdir(o.log_dir.c_str(), 0700);

  std::map<std::string, Agent> agents;                   // by pod name
  std::map<std::string, Clock::time_point> retry_after;  // restart back-off, by pod
  std::map<std::string, std::string> reported;           // last error logged, by pod
  auto reap = [&] {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (auto it = agents.begin(); it != agents.end(); ++it) {
        if (it->second.pid != pid) continue;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        log.Info("agent exited", {{"pod", it->first}, {"pid", pid}, {"code", code}});
        if (!it->second.stopping) retry_after[it->first] = Clock::now() + std::chrono::seconds(1);
        agents.erase(it);
        break;
      }
    }
  };
  auto stop = [&](const std::string& pod, Agent& a, std::chrono::seconds grace) {
    if (a.stopping) return;
    kill(a.pid, SIGTERM);
    a.stopping = true;
    a.kill_at = Clock::now() + grace;
    log.Info("stopping agent", {{"pod", pod}, {"pid", a.pid}});
  };

  log.Info("agent-kubelet started", {{"namespace", o.namespace_name}, {"selector", o.selector}});
  while (!StopRequested()) {
    reap();
    auto list = (*client)->List(kube::rest::resources::kPods, o.namespace_name,
                                {.label_selector = o.selector});
    if (!list.ok()) {
      log.Warn("listing pods failed", {{"error", list.error()}});
    } else {
      std::map<std::string, const Json*> runnable;
      std::map<std::string, std::chrono::seconds> grace;
      for (const auto& pod : list->items) {
        std::string name = pod.value("metadata", Json::object()).value("name", "");
        Json g = pod.value("spec", Json::object()).value("terminationGracePeriodSeconds", Json(30));
        grace[name] = std::chrono::seconds(g.is_number_integer() ? g.get<int64_t>() : 30);
        if (tools::agent_kubelet::ShouldRun(pod)) runnable[name] = &pod;
      }
      for (auto& [pod, a] : agents) {
        auto it = runnable.find(pod);
        bool replaced = it != runnable.end() &&
                        it->second->value("metadata", Json::object()).value("uid", "") != a.uid;
        if (it == runnable.end() || replaced) {
          stop(pod, a, grace.count(pod) ? grace[pod] : std::chrono::seconds(30));
        }
        if (a.stopping && Clock::now() >= a.kill_at) kill(a.pid, SIGKILL);
        // The kubelet's periodic sync of the pod refreshes its volumes.
        if (!a.stopping && !a.annotations_file.empty() && it != runnable.end() &&
            Clock::now() >= a.next_sync) {
          a.next_sync += o.annotations_sync_period;
          std::string now = tools::agent_kubelet::DownwardApiAnnotations(*it->second);
          if (now != a.annotations && WriteAtomically(a.annotations_file, now)) {
            a.annotations = std::move(now);
          }
        }
      }
      for (const auto& [pod, json] : runnable) {
        if (agents.count(pod) > 0) continue;
        if (auto r = retry_after.find(pod); r != retry_after.end() && Clock::now() < r->second) {
          continue;
        }
        const std::string ns = o.namespace_name;
        auto spec = tools::agent_kubelet::AgentSpecFor(
            *json, [&](const std::string& name, const std::string& key) -> Result<std::string> {
              auto s = (*client)->Get(kube::rest::resources::kSecrets, ns, name);
              if (!s.ok())
                return MakeError(s.error().code, "Secret " + name + ": " + s.error().message);
              const Json data = s->value("data", Json::object());
              if (!data.contains(key) || !data[key].is_string()) {
                return MakeError(ErrorCode::kNotFound, "Secret " + name + " has no key " + key);
              }
              auto v = Base64Decode(data[key].get<std::string>());
              if (!v)
                return MakeError(ErrorCode::kInvalidArgument,
                                 "Secret " + name + " key " + key + " is not base64");
              log.AddSecret(*v);
              return *v;
            });
        if (!spec.ok()) {
          if (reported[pod] != spec.error().message) {
            log.Warn("cannot start the agent", {{"pod", pod}, {"error", spec.error()}});
            reported[pod] = spec.error().message;
          }
          continue;
        }
        reported.erase(pod);
        Agent a{.uid = spec->uid};
        if (!o.assignment_from_api) {
          // The volume is written before the container starts.
          a.annotations_file = AnnotationsPath(o, pod);
          a.annotations = tools::agent_kubelet::DownwardApiAnnotations(*json);
          if (!WriteAtomically(a.annotations_file, a.annotations)) {
            log.Warn("cannot write the annotations file", {{"pod", pod}});
            continue;
          }
          a.next_sync = Clock::now() + o.annotations_sync_period;
        }
        a.pid = Spawn(o, *spec);
        agents[pod] = a;
        const pid_t pid = a.pid;
        log.Info("started agent", {{"pod", pod}, {"pid", pid}});
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms));
  }

  // Stopped: every agent gets SIGTERM and its grace period, as on node drain.
  for (auto& [pod, a] : agents) stop(pod, a, std::chrono::seconds(30));
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!agents.empty() && Clock::now() < deadline) {
    reap();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& [pod, a] : agents) kill(a.pid, SIGKILL);
  while (!agents.empty()) {
    reap();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  log.Info("agent-kubelet stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = tools::agent_kubelet::ParseKubeletOptions(args, kube::config::ProcessEnvironment());
  if (auto code =
          ExitCodeForFlags(parsed, {.name = "agent-kubelet", .invoked_as = argv[0]},
                           tools::agent_kubelet::KubeletUsage(argv[0]), std::cout, std::cerr)) {
    return *code;
  }
  if (parsed.options.agent.empty()) parsed.options.agent = SelfDir() + "/pricing-agent";
  InstallStopSignals();
  return Run(parsed.options);
}
