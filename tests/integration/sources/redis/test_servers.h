#pragma once

// Finds the servers the CTest fixtures started: each fixture writes its state
// into a directory named by an environment variable.

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "controller/sources/redis/options.h"

namespace agentfleet::testing {

inline std::string FixtureFile(const char* env, const std::string& name) {
  const char* dir = std::getenv(env);
  if (dir == nullptr) throw std::runtime_error(std::string(env) + " is not set (run via ctest)");
  std::ifstream in(std::string(dir) + "/" + name);
  std::string value;
  if (!std::getline(in, value)) {
    throw std::runtime_error(std::string("cannot read ") + dir + "/" + name);
  }
  return value;
}

inline std::string FixturePath(const char* env, const std::string& name) {
  const char* dir = std::getenv(env);
  if (dir == nullptr) throw std::runtime_error(std::string(env) + " is not set (run via ctest)");
  return std::string(dir) + "/" + name;
}

// The shared plain redis-server (fixture `redis`).
inline sources::redis::Options RedisFixture() {
  sources::redis::Options o;
  o.host = "127.0.0.1";
  o.port = static_cast<uint16_t>(std::stoi(FixtureFile("AGENTFLEET_REDIS_DIR", "port")));
  return o;
}

}  // namespace agentfleet::testing
