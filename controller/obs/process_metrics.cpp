#include "controller/obs/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace agentfleet::obs {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_seconds_since_boot = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  bool ok = false;
};

// /proc/self/stat: the fields after the command name, which may itself hold
// spaces and parentheses, so the split starts after the last ')'.
ProcStat ReadStat() {
  ProcStat out;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return out;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(line.substr(close + 1));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  // f[0] is field 3 (state): field N is f[N - 3].
  if (f.size() < 22) return out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.cpu_seconds = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / tick;
  out.start_seconds_since_boot = std::stod(f[22 - 3]) / tick;
  out.virtual_bytes = std::stod(f[23 - 3]);
  out.resident_bytes = std::stod(f[24 - 3]) * page;
  out.ok = true;
  return out;
}

double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

ProcessMetrics::ProcessMetrics(Registry& registry, const std::string& build_info,
                               const std::string& version)
    : rss_(registry.RegisterGauge("process_resident_memory_bytes",
                                  "Resident memory size in bytes.")),
      vms_(registry.RegisterGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")),
      cpu_(registry.RegisterCounter("process_cpu_seconds_total",
                                    "Total user and system CPU time spent in seconds.")),
      open_fds_(registry.RegisterGauge("process_open_fds", "Number of open file descriptors.")),
      max_fds_(
          registry.RegisterGauge("process_max_fds", "Maximum number of open file descriptors.")),
      start_time_(registry.RegisterGauge(
          "process_start_time_seconds", "Start time of the process since unix epoch in seconds.")) {
  registry.RegisterGauge(build_info, "1, with the binary's version as a label.", {"version"})
      .WithLabels({version})
      .Set(1);
  hook_ = registry.AddCollectHook([this] { Collect(); });
}

void ProcessMetrics::Collect() {
  const ProcStat stat = ReadStat();
  if (stat.ok) {
    rss_.WithLabels({}).Set(stat.resident_bytes);
    vms_.WithLabels({}).Set(stat.virtual_bytes);
    if (stat.cpu_seconds > cpu_reported_) {
      cpu_.WithLabels({}).Inc(stat.cpu_seconds - cpu_reported_);
      cpu_reported_ = stat.cpu_seconds;
    }
    start_time_.WithLabels({}).Set(BootTime() + stat.start_seconds_since_boot);
  }
  open_fds_.WithLabels({}).Set(OpenFds());
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    max_fds_.WithLabels({}).Set(static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace agentfleet::obs
