#include "controller/obs/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace agentfleet::obs {
namespace {

// The value of an unlabelled series (or the exact series given) in `text`.
double Value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  ADD_FAILURE() << "no series " << series << " in\n" << text;
  return -1;
}

double VmRssBytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) * 1024;
  }
  return -1;
}

TEST(ProcessMetrics, TheStandardSeriesAgreeWithTheKernel) {
  Registry registry;
  ProcessMetrics metrics(registry, "agentfleet_build_info", "1.2.3");
  std::string text = registry.Render();

  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos) << text;
  EXPECT_EQ(Value(text, "agentfleet_build_info{version=\"1.2.3\"}"), 1);
  const double rss = Value(text, "process_resident_memory_bytes");
  EXPECT_GT(rss, 1 << 20);
  EXPECT_NEAR(rss, VmRssBytes(), VmRssBytes() / 2);
  EXPECT_GE(Value(text, "process_virtual_memory_bytes"), rss);
  const double open = Value(text, "process_open_fds");
  EXPECT_GE(open, 3) << "stdin, stdout, stderr";
  EXPECT_GE(Value(text, "process_max_fds"), open);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double started = Value(text, "process_start_time_seconds");
  EXPECT_LE(started, now + 1);
  EXPECT_GT(started, now - 3600) << "this test binary started over an hour ago?";

  // CPU seconds only grow, with the work done.
  const double cpu = Value(text, "process_cpu_seconds_total");
  volatile double sink = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) sink = sink + 1;
  text = registry.Render();
  EXPECT_GT(Value(text, "process_cpu_seconds_total"), cpu);

  // One more open file descriptor shows.
  const double before = Value(text, "process_open_fds");
  const int fd = dup(1);
  EXPECT_EQ(Value(registry.Render(), "process_open_fds"), before + 1);
  close(fd);
}

}  // namespace
}  // namespace agentfleet::obs
