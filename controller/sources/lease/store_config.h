#pragma once

// Choosing a store from configuration: one URL (and, from a Secret, an
// optional password) selects Redis or PostgreSQL for both the lease table and
// the fenced result store.
//
//   redis://[user[:password]@]host[:port][/db]   rediss://... (TLS)
//   postgresql://[user[:password]@]host[:port]/dbname[?sslmode=...]   (or postgres://)
//   host=... port=... dbname=...                 (libpq keyword form)

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "controller/sources/lease/lease_store.h"
#include "controller/sources/lease/pg_connection.h"
#include "controller/sources/lease/result_store.h"
#include "controller/sources/redis/options.h"

namespace agentfleet::sources::lease {

struct StoreConfig {
  enum class Kind { kRedis, kPostgres };
  Kind kind = Kind::kRedis;
  redis::Options redis;                    // when kRedis
  PgOptions postgres;                      // when kPostgres
  std::string key_prefix = "agentfleet:";  // Redis keys
};

// `password`, if not empty, replaces any password in the URL. Errors never
// quote the URL.
Result<StoreConfig> ParseStoreUrl(std::string_view url, std::string password = "",
                                  std::chrono::milliseconds timeout = std::chrono::seconds(3));

Result<std::unique_ptr<LeaseStore>> OpenLeaseStore(const StoreConfig& config);
Result<std::unique_ptr<ResultStore>> OpenResultStore(const StoreConfig& config);

}  // namespace agentfleet::sources::lease
