#pragma once

// The shared `redis` and `postgres` fixture servers, configured the way a
// deployment configures a store: through a URL and ParseStoreUrl.

#include "controller/sources/lease/store_config.h"

namespace agentfleet::sources::lease::testing {

// $AGENTFLEET_REDIS_DIR's server; throws if the fixture is not there.
StoreConfig RedisFixtureConfig();
// $AGENTFLEET_POSTGRES_DIR's server, with its password; throws likewise.
StoreConfig PostgresFixtureConfig();

}  // namespace agentfleet::sources::lease::testing
