#include "tests/integration/sources/lease/store_harness.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace agentfleet::sources::lease::testing {

void RunFixtureScript(const std::string& script, const std::string& verb, const std::string& dir) {
  const std::string cmd = std::string(AGENTFLEET_SOURCE_DIR) + "/tests/servers/" + script + " " +
                          verb + " '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("fixture script failed: " + cmd);
}

std::string MakeTempDir(const std::string& tag) {
  std::string tmpl =
      std::filesystem::temp_directory_path().string() + "/agentfleet-" + tag + ".XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error("cannot read " + path);
  return line;
}

std::string UniqueName(const std::string& base) {
  static std::mt19937_64 rng{std::random_device{}()};
  return base + "-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000000);
}

}  // namespace agentfleet::sources::lease::testing
