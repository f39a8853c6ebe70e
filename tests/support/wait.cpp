#include "tests/support/wait.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace agentfleet::testing {

bool Eventually(const std::function<bool()>& ok, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(interval);
  }
  return ok();
}

int FixturePort(const char* dir_variable) {
  const char* dir = std::getenv(dir_variable);
  if (dir == nullptr) return 0;
  std::ifstream in(std::string(dir) + "/port");
  int port = 0;
  in >> port;
  return in ? port : 0;
}

}  // namespace agentfleet::testing
