#include "tests/integration/sources/lease/fixture_config.h"

#include <string>

#include "tests/integration/sources/lease/postgres_fixture.h"
#include "tests/integration/sources/lease/store_harness.h"
#include "tests/integration/sources/redis/test_servers.h"

namespace agentfleet::sources::lease::testing {

StoreConfig RedisFixtureConfig() {
  const std::string url =
      "redis://127.0.0.1:" + std::to_string(agentfleet::testing::RedisFixture().port);
  return Must(ParseStoreUrl(url, "", std::chrono::seconds(5)));
}

StoreConfig PostgresFixtureConfig() {
  const PgOptions o = PostgresFixture();
  return Must(ParseStoreUrl(o.conninfo, o.password, std::chrono::seconds(10)));
}

}  // namespace agentfleet::sources::lease::testing
