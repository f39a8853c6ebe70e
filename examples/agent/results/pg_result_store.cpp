#include "examples/agent/results/pg_result_store.h"

#include "controller/sources/lease/lease_store.h"
#include "examples/agent/results/pg_result_schema.h"

namespace agentfleet::agent::results {
namespace {

using sources::lease::PgConnection;
using sources::lease::PgIntArray;
using sources::lease::PgOptions;
using sources::lease::PgRows;
using sources::lease::PgTextArray;

// $1 fleet, $2 shard, $3 token, $4 products, $5 prices, $6 and $7 the task
// versions' hi and lo parts. Answers: accepted (0/1), rows written, the mark
// as of the statement's snapshot. A product's row is updated only if its task
// is not older (row comparison: hi, then lo); ON CONFLICT evaluates that on
// the row's latest version under its lock, so concurrent writers of a product
// cannot both pass on a stale read.
constexpr const char* kWriteSql =
    "WITH fence AS ("
    " INSERT INTO shard_fences AS f (fleet, shard, token) VALUES ($1, $2, $3)"
    " ON CONFLICT (fleet, shard) DO UPDATE SET token = EXCLUDED.token"
    "  WHERE f.token <= EXCLUDED.token"
    " RETURNING token), "
    "w AS ("
    " INSERT INTO product_prices AS p"
    "  (fleet, product, shard, price, token, version_hi, version_lo, updated_at)"
    " SELECT $1, x.product, $2, x.price, $3, x.hi, x.lo, now()"
    " FROM unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) AS x(product, price, hi, "
    "lo)"
    " WHERE EXISTS (SELECT 1 FROM fence)"
    " ON CONFLICT (fleet, product) DO UPDATE SET shard = EXCLUDED.shard, price = EXCLUDED.price,"
    "  token = EXCLUDED.token, version_hi = EXCLUDED.version_hi,"
    "  version_lo = EXCLUDED.version_lo, updated_at = EXCLUDED.updated_at"
    "  WHERE (p.version_hi, p.version_lo) <= (EXCLUDED.version_hi, EXCLUDED.version_lo)"
    " RETURNING 1) "
    "SELECT (SELECT count(*) FROM fence), (SELECT count(*) FROM w),"
    " (SELECT token FROM shard_fences WHERE fleet = $1 AND shard = $2)";

Error Unexpected(std::string_view what) {
  return MakeError(ErrorCode::kInternal,
                   "postgres result store: unexpected answer to " + std::string(what));
}

}  // namespace

Result<std::unique_ptr<PgResultStore>> PgResultStore::Connect(const PgOptions& options) {
  auto db = PgConnection::Connect(options);
  if (!db.ok()) return db.error();
  if (auto s = MigrateResultSchema(**db); !s.ok()) return s.error();
  return std::make_unique<PgResultStore>(std::move(*db));
}

PgResultStore::PgResultStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

Result<WriteOutcome> PgResultStore::Write(std::string_view fleet, uint32_t shard, int64_t token,
                                          const std::vector<PriceWrite>& prices) {
  if (auto s = ValidateWrite(fleet, token, prices); !s.ok()) return s.error();
  std::vector<std::string> products;
  std::vector<int64_t> values, his, los;
  for (const auto& p : prices) {
    products.push_back(p.product);
    values.push_back(p.price);
    his.push_back(p.version.hi);
    los.push_back(p.version.lo);
  }
  Result<PgRows> r = PgRows{};
  {
    std::lock_guard lock(mu_);
    r = db_->Exec(kWriteSql,
                  {std::string(fleet), std::to_string(shard), std::to_string(token),
                   PgTextArray(products), PgIntArray(values), PgIntArray(his), PgIntArray(los)});
  }
  if (!r.ok()) return r.error();
  if (r->rows.size() != 1 || !r->rows[0][0] || !r->rows[0][1]) return Unexpected("write");
  if (*r->rows[0][0] != "1") {
    const std::string mark = r->rows[0][2].value_or("?");
    return MakeError(ErrorCode::kFailedPrecondition,
                     "shard " + std::to_string(shard) + " of fleet " + std::string(fleet) +
                         ": token " + std::to_string(token) +
                         " is fenced off; the store has accepted token " + mark);
  }
  const size_t written = std::stoul(*r->rows[0][1]);
  if (written > prices.size()) return Unexpected("write (row count)");
  return WriteOutcome{prices.size() - written};
}

Result<std::optional<StoredPrice>> PgResultStore::Get(std::string_view fleet,
                                                      std::string_view product) {
  Result<PgRows> r = PgRows{};
  {
    std::lock_guard lock(mu_);
    r = db_->Exec(
        "SELECT shard, price, token, version_hi, version_lo FROM product_prices"
        " WHERE fleet = $1 AND product = $2",
        {std::string(fleet), std::string(product)});
  }
  if (!r.ok()) return r.error();
  if (r->rows.empty()) return std::optional<StoredPrice>();
  const auto& row = r->rows[0];
  if (row.size() != 5) return Unexpected("get");
  for (const auto& cell : row) {
    if (!cell) return Unexpected("get");
  }
  return std::optional<StoredPrice>(StoredPrice{
      std::string(product), static_cast<uint32_t>(std::stoul(*row[0])), std::stoll(*row[1]),
      std::stoll(*row[2]), TaskVersion{std::stoll(*row[3]), std::stoll(*row[4])}});
}

Status PgResultStore::RaiseFence(std::string_view fleet, uint32_t shard, int64_t token) {
  if (auto s = ValidateFence(fleet, token); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto r = db_->Exec(
      "INSERT INTO shard_fences AS f (fleet, shard, token) VALUES ($1, $2, $3)"
      " ON CONFLICT (fleet, shard) DO UPDATE SET token = EXCLUDED.token"
      "  WHERE f.token < EXCLUDED.token",
      {std::string(fleet), std::to_string(shard), std::to_string(token)});
  if (!r.ok()) return r.error();
  return Ok{};
}

Result<int64_t> PgResultStore::HighWater(std::string_view fleet, uint32_t shard) {
  Result<PgRows> r = PgRows{};
  {
    std::lock_guard lock(mu_);
    r = db_->Exec("SELECT token FROM shard_fences WHERE fleet = $1 AND shard = $2",
                  {std::string(fleet), std::to_string(shard)});
  }
  if (!r.ok()) return r.error();
  if (r->rows.empty() || !r->rows[0][0]) return int64_t{0};
  return std::stoll(*r->rows[0][0]);
}

Status PgResultStore::DeleteFleet(std::string_view fleet) {
  if (auto s = sources::lease::ValidateFleet(fleet); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto a = db_->Exec(
      "WITH a AS (DELETE FROM shard_fences WHERE fleet = $1) "
      "DELETE FROM product_prices WHERE fleet = $1",
      {std::string(fleet)});
  if (!a.ok()) return a.error();
  return Ok{};
}

}  // namespace agentfleet::agent::results
