#include "controller/sources/lease/store_config.h"

#include "controller/sources/lease/pg_lease_store.h"
#include "controller/sources/lease/redis_lease_store.h"

namespace agentfleet::sources::lease {

Result<StoreConfig> ParseStoreUrl(std::string_view url, std::string password,
                                  std::chrono::milliseconds timeout, std::string_view pg_sslmode) {
  StoreConfig c;
  if (url.starts_with("redis://") || url.starts_with("rediss://")) {
    auto o = redis::ParseUrl(url);
    if (!o.ok()) return o.error();
    c.kind = StoreConfig::Kind::kRedis;
    c.redis = std::move(*o);
    if (!password.empty()) c.redis.password = std::move(password);
    c.redis.connect_timeout = timeout;
    c.redis.command_timeout = timeout;
    return c;
  }
  const bool pg_url = url.starts_with("postgresql://") || url.starts_with("postgres://");
  if (pg_url || url.find('=') != std::string_view::npos) {
    auto sslmode = ResolvePgSslMode(url, pg_sslmode);
    if (!sslmode.ok()) return sslmode.error();
    c.kind = StoreConfig::Kind::kPostgres;
    c.postgres.conninfo = std::string(url);
    c.postgres.sslmode = std::move(*sslmode);
    c.postgres.password = std::move(password);
    c.postgres.connect_timeout = timeout;
    c.postgres.statement_timeout = timeout;
    return c;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "store URL: expected redis://, rediss://, postgresql:// or libpq "
                   "key=value form");
}

Result<std::unique_ptr<LeaseStore>> OpenLeaseStore(const StoreConfig& config) {
  return OpenStore<LeaseStore, RedisLeaseStore, PgLeaseStore>(config);
}

}  // namespace agentfleet::sources::lease
