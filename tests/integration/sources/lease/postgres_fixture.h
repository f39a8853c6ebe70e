#pragma once

// Finds a server started by tests/servers/postgres.sh: DIR/conninfo (no
// password) and DIR/password.

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "controller/sources/lease/pg_connection.h"
#include "tests/integration/sources/lease/store_harness.h"

namespace agentfleet::sources::lease::testing {

inline PgOptions PostgresOptionsIn(const std::string& dir) {
  PgOptions o;
  o.conninfo = ReadLine(dir + "/conninfo");
  o.password = ReadLine(dir + "/password");
  o.statement_timeout = std::chrono::milliseconds(10000);
  return o;
}

// The shared `postgres` fixture ($AGENTFLEET_POSTGRES_DIR).
inline PgOptions PostgresFixture() {
  const char* dir = std::getenv("AGENTFLEET_POSTGRES_DIR");
  if (dir == nullptr)
    throw std::runtime_error("AGENTFLEET_POSTGRES_DIR is not set (run via ctest)");
  return PostgresOptionsIn(dir);
}

}  // namespace agentfleet::sources::lease::testing
