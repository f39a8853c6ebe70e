#pragma once

// Choosing a store from configuration: one URL (and, from a Secret, an
// optional password) selects Redis or PostgreSQL for the lease table, and for
// the agents' fenced result store (examples/agent/results/open_result_store.h).
//
//   redis://[user[:password]@]host[:port][/db]   rediss://... (TLS)
//   postgresql://[user[:password]@]host[:port]/dbname[?sslmode=...]   (or postgres://)
//   host=... port=... dbname=...                 (libpq keyword form)
//
// PostgreSQL's sslmode is always explicit (ResolvePgSslMode): verify-full
// unless the URL or `pg_sslmode` says otherwise.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "controller/sources/lease/lease_store.h"
#include "controller/sources/lease/pg_connection.h"
#include "controller/sources/redis/options.h"

namespace agentfleet::sources::lease {

struct StoreConfig {
  enum class Kind { kRedis, kPostgres };
  Kind kind = Kind::kRedis;
  redis::Options redis;                    // when kRedis
  PgOptions postgres;                      // when kPostgres
  std::string key_prefix = "agentfleet:";  // Redis keys
};

// `password`, if not empty, replaces any password in the URL. `pg_sslmode`
// (PostgreSQL only; disable, require, verify-ca or verify-full) wins over the
// URL's own sslmode, which it must not contradict. Errors never quote the URL.
Result<StoreConfig> ParseStoreUrl(std::string_view url, std::string password = "",
                                  std::chrono::milliseconds timeout = std::chrono::seconds(3),
                                  std::string_view pg_sslmode = "");

Result<std::unique_ptr<LeaseStore>> OpenLeaseStore(const StoreConfig& config);

// Connects the store that config.kind selects, as its interface `Store`:
// RedisStore::Connect(redis options, key prefix) or PgStore::Connect(options).
template <typename Store, typename RedisStore, typename PgStore>
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config) {
  auto as_store = [](auto connected) -> Result<std::unique_ptr<Store>> {
    if (!connected.ok()) return connected.error();
    return std::unique_ptr<Store>(std::move(*connected));
  };
  if (config.kind == StoreConfig::Kind::kRedis) {
    return as_store(RedisStore::Connect(config.redis, config.key_prefix));
  }
  return as_store(PgStore::Connect(config.postgres));
}

}  // namespace agentfleet::sources::lease
