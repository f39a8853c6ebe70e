#include "controller/sources/lease/pg_lease_store.h"

#include <algorithm>
#include <numeric>

#include "controller/sources/lease/outcome.h"
#include "controller/sources/lease/pg_schema.h"

namespace agentfleet::sources::lease {
namespace {

#define AGENTFLEET_MS(x) "floor(extract(epoch FROM " x ") * 1000)::bigint"

// Every mutation answers one row per requested shard, in request order:
// shard, ok, has_record, token, expires_at_ms, holder, now_ms. After success
// the new lease; after failure the row in the way, as of the statement's
// snapshot.
#define AGENTFLEET_OUTCOME_SELECT \
  "SELECT req.shard, up.shard IS NOT NULL, COALESCE(up.shard, cur.shard) IS NOT NULL, " \
  "COALESCE(up.token, cur.token), " AGENTFLEET_MS("COALESCE(up.expires_at, cur.expires_at)") \
  ", COALESCE(up.holder, cur.holder), " AGENTFLEET_MS("now()")                      \
  " FROM req LEFT JOIN up ON up.shard = req.shard "                                 \
  "LEFT JOIN shard_leases cur ON up.shard IS NULL AND cur.fleet = $1 AND cur.shard = req.shard " \
  "ORDER BY req.ord"

// $1 fleet, $2 shards (ascending, so rows lock in one order), $3 holder, $4 ttl ms.
constexpr const char* kAcquireSql =
    "WITH req AS (SELECT s.shard, s.ord FROM unnest($2::int[]) WITH ORDINALITY AS s(shard, ord)), "
    "up AS ("
    " INSERT INTO shard_leases AS l (fleet, shard, holder, token, expires_at)"
    " SELECT $1, shard, $3, floor(extract(epoch FROM now()) * 1000000)::bigint,"
    "        now() + $4::bigint * interval '1 millisecond' FROM req ORDER BY shard"
    " ON CONFLICT (fleet, shard) DO UPDATE"
    "  SET holder = EXCLUDED.holder, token = GREATEST(l.token + 1, EXCLUDED.token),"
    "      expires_at = EXCLUDED.expires_at"
    "  WHERE l.holder = '' OR l.holder = EXCLUDED.holder OR l.expires_at <= now()"
    " RETURNING l.shard, l.holder, l.token, l.expires_at) " AGENTFLEET_OUTCOME_SELECT;

// $1 fleet, $2 shards, $3 tokens, $4 holder, $5 ttl ms.
constexpr const char* kRenewSql =
    "WITH req AS (SELECT s.shard, s.token, s.ord FROM unnest($2::int[], $3::bigint[])"
    "             WITH ORDINALITY AS s(shard, token, ord)), "
    "up AS ("
    " UPDATE shard_leases l SET expires_at = now() + $5::bigint * interval '1 millisecond'"
    " FROM req WHERE l.fleet = $1 AND l.shard = req.shard AND l.holder = $4"
    "  AND l.token = req.token AND l.expires_at > now()"
    " RETURNING l.shard, l.holder, l.token, l.expires_at) " AGENTFLEET_OUTCOME_SELECT;

// $1 fleet, $2 shards, $3 tokens, $4 holder. The row stays: its token counts on.
constexpr const char* kReleaseSql =
    "WITH req AS (SELECT s.shard, s.token, s.ord FROM unnest($2::int[], $3::bigint[])"
    "             WITH ORDINALITY AS s(shard, token, ord)), "
    "up AS ("
    " UPDATE shard_leases l SET holder = '', expires_at = now()"
    " FROM req WHERE l.fleet = $1 AND l.shard = req.shard AND l.holder = $4"
    "  AND l.token = req.token"
    " RETURNING l.shard, l.holder, l.token, l.expires_at) " AGENTFLEET_OUTCOME_SELECT;

// The lease seen (same token) is freed whoever holds it, its token bumped.
constexpr const char* kRevokeSql =
    "WITH req AS (SELECT s.shard, s.token, s.ord FROM unnest($2::int[], $3::bigint[])"
    "             WITH ORDINALITY AS s(shard, token, ord)), "
    "up AS ("
    " UPDATE shard_leases l SET holder = '', token = l.token + 1, expires_at = now()"
    " FROM req WHERE l.fleet = $1 AND l.shard = req.shard AND l.token = req.token"
    " RETURNING l.shard, l.holder, l.token, l.expires_at) " AGENTFLEET_OUTCOME_SELECT;

constexpr const char* kSnapshotSql =
    "SELECT " AGENTFLEET_MS("now()") ", l.shard, l.holder, l.token, " AGENTFLEET_MS(
        "l.expires_at") " FROM (SELECT 1) AS one"
                        " LEFT JOIN shard_leases l ON l.fleet = $1 ORDER BY l.shard";

// $1 fleet, $2 pods (ascending: one lock order), $3 generations, $4 shards.
// One row per requested pod, in request order: written or not.
constexpr const char* kPublishSql =
    "WITH req AS (SELECT r.pod, r.generation, r.shards, r.ord"
    "             FROM unnest($2::text[], $3::bigint[], $4::text[])"
    "             WITH ORDINALITY AS r(pod, generation, shards, ord)), "
    "up AS ("
    " INSERT INTO shard_assignments AS a (fleet, pod, generation, shards)"
    " SELECT $1, pod, generation, shards FROM req ORDER BY pod"
    " ON CONFLICT (fleet, pod) DO UPDATE"
    "  SET generation = EXCLUDED.generation, shards = EXCLUDED.shards"
    "  WHERE a.generation < EXCLUDED.generation"
    " RETURNING a.pod) "
    "SELECT req.pod, up.pod IS NOT NULL FROM req LEFT JOIN up ON up.pod = req.pod ORDER BY req.ord";

// $1 fleet, $2 pods, $3 generations: a record published since stays.
constexpr const char* kRemoveAssignmentsSql =
    "DELETE FROM shard_assignments a USING unnest($2::text[], $3::bigint[]) AS r(pod, generation)"
    " WHERE a.fleet = $1 AND a.pod = r.pod AND a.generation <= r.generation";

constexpr const char* kListAssignmentsSql =
    "SELECT pod, generation, shards FROM shard_assignments WHERE fleet = $1 ORDER BY pod";

constexpr const char* kReadAssignmentSql =
    "SELECT generation, shards FROM shard_assignments WHERE fleet = $1 AND pod = $2";

// One statement, so a fleet is never half deleted.
constexpr const char* kDeleteFleetSql =
    "WITH a AS (DELETE FROM shard_assignments WHERE fleet = $1) "
    "DELETE FROM shard_leases WHERE fleet = $1";

#undef AGENTFLEET_OUTCOME_SELECT
#undef AGENTFLEET_MS

Error Unexpected(std::string_view what) {
  return MakeError(ErrorCode::kInternal,
                   "postgres lease store: unexpected answer to " + std::string(what));
}

Status CheckCommon(std::string_view fleet, std::string_view holder) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s;
  return ValidateHolder(holder);
}

std::vector<int64_t> Widen(const std::vector<uint32_t>& v) {
  return {v.begin(), v.end()};
}

// The batch sorted by shard (lock order); `order[i]` is the caller's index.
struct Sorted {
  std::vector<uint32_t> shards;
  std::vector<int64_t> tokens;
  std::vector<size_t> order;
};

Sorted SortByShard(const std::vector<ShardToken>& leases) {
  Sorted s;
  s.order.resize(leases.size());
  std::iota(s.order.begin(), s.order.end(), size_t{0});
  std::sort(s.order.begin(), s.order.end(),
            [&](size_t a, size_t b) { return leases[a].shard < leases[b].shard; });
  for (size_t i : s.order) {
    s.shards.push_back(leases[i].shard);
    s.tokens.push_back(leases[i].token);
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<PgLeaseStore>> PgLeaseStore::Connect(const PgOptions& options) {
  auto db = PgConnection::Connect(options);
  if (!db.ok()) return db.error();
  if (auto s = MigrateLeaseSchema(**db); !s.ok()) return s.error();
  return std::make_unique<PgLeaseStore>(std::move(*db));
}

PgLeaseStore::PgLeaseStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

Result<std::vector<Outcome>> PgLeaseStore::Mutate(std::string_view sql, const PgParams& params,
                                                  const std::vector<uint32_t>& shards) {
  Result<PgRows> rows = PgRows{};
  {
    std::lock_guard lock(mu_);
    // Each statement is atomic: one aborted by a deadlock (kConflict) had no
    // effect and is safe to run again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      rows = db_->Exec(sql, params);
      if (rows.ok() || rows.error().code != ErrorCode::kConflict) break;
    }
  }
  if (!rows.ok()) return rows.error();
  if (rows->rows.size() != shards.size()) return Unexpected("a lease batch");
  std::vector<Outcome> out;
  for (size_t i = 0; i < shards.size(); ++i) {
    const auto& r = rows->rows[i];
    if (r.size() != 7 || !r[0] || !r[1] || !r[2] || !r[6] || std::stoul(*r[0]) != shards[i]) {
      return Unexpected("a lease batch");
    }
    Outcome o;
    o.shard = shards[i];
    o.ok = *r[1] == "t";
    o.now_ms = std::stoll(*r[6]);
    if (*r[2] == "t" && r[3] && r[4] && r[5]) {
      o.record = LeaseRecord{shards[i], *r[5], std::stoll(*r[3]), std::stoll(*r[4])};
    }
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::vector<Result<Lease>>> PgLeaseStore::AcquireMany(std::string_view fleet,
                                                             const std::vector<uint32_t>& shards,
                                                             std::string_view holder, Millis ttl) {
  if (auto s = CheckCommon(fleet, holder); !s.ok()) return s.error();
  if (auto s = ValidateTtl(ttl); !s.ok()) return s.error();
  if (auto s = ValidateDistinct(shards); !s.ok()) return s.error();
  if (shards.empty()) return std::vector<Result<Lease>>{};
  std::vector<ShardToken> as_leases;
  for (uint32_t s : shards) as_leases.push_back({s, 0});
  const Sorted sorted = SortByShard(as_leases);
  auto outcomes = Mutate(kAcquireSql,
                         {std::string(fleet), PgIntArray(Widen(sorted.shards)), std::string(holder),
                          std::to_string(ttl.count())},
                         sorted.shards);
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Result<Lease>> out(shards.size(), Error{});
  for (size_t i = 0; i < sorted.order.size(); ++i) {
    out[sorted.order[i]] = ToLease(Op::kAcquire, fleet, holder, 0, (*outcomes)[i]);
  }
  return out;
}

Result<std::vector<Result<Lease>>> PgLeaseStore::RenewMany(std::string_view fleet,
                                                           const std::vector<ShardToken>& leases,
                                                           std::string_view holder, Millis ttl) {
  if (auto s = CheckCommon(fleet, holder); !s.ok()) return s.error();
  if (auto s = ValidateTtl(ttl); !s.ok()) return s.error();
  const Sorted sorted = SortByShard(leases);
  if (auto s = ValidateDistinct(sorted.shards); !s.ok()) return s.error();
  if (leases.empty()) return std::vector<Result<Lease>>{};
  auto outcomes =
      Mutate(kRenewSql,
             {std::string(fleet), PgIntArray(Widen(sorted.shards)), PgIntArray(sorted.tokens),
              std::string(holder), std::to_string(ttl.count())},
             sorted.shards);
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Result<Lease>> out(leases.size(), Error{});
  for (size_t i = 0; i < sorted.order.size(); ++i) {
    out[sorted.order[i]] = ToLease(Op::kRenew, fleet, holder, sorted.tokens[i], (*outcomes)[i]);
  }
  return out;
}

Result<std::vector<Status>> PgLeaseStore::ReleaseMany(std::string_view fleet,
                                                      const std::vector<ShardToken>& leases,
                                                      std::string_view holder) {
  if (auto s = CheckCommon(fleet, holder); !s.ok()) return s.error();
  const Sorted sorted = SortByShard(leases);
  if (auto s = ValidateDistinct(sorted.shards); !s.ok()) return s.error();
  if (leases.empty()) return std::vector<Status>{};
  auto outcomes = Mutate(kReleaseSql,
                         {std::string(fleet), PgIntArray(Widen(sorted.shards)),
                          PgIntArray(sorted.tokens), std::string(holder)},
                         sorted.shards);
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Status> out(leases.size(), Error{});
  for (size_t i = 0; i < sorted.order.size(); ++i) {
    auto r = ToLease(Op::kRelease, fleet, holder, sorted.tokens[i], (*outcomes)[i]);
    out[sorted.order[i]] = r.ok() ? Status(Ok{}) : Status(r.error());
  }
  return out;
}

Result<std::vector<Status>> PgLeaseStore::RevokeMany(std::string_view fleet,
                                                     const std::vector<ShardToken>& leases) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  const Sorted sorted = SortByShard(leases);
  if (auto s = ValidateDistinct(sorted.shards); !s.ok()) return s.error();
  if (leases.empty()) return std::vector<Status>{};
  auto outcomes = Mutate(
      kRevokeSql, {std::string(fleet), PgIntArray(Widen(sorted.shards)), PgIntArray(sorted.tokens)},
      sorted.shards);
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Status> out(leases.size(), Error{});
  for (size_t i = 0; i < sorted.order.size(); ++i) {
    out[sorted.order[i]] = ToRevoked(fleet, sorted.tokens[i], (*outcomes)[i]);
  }
  return out;
}

Result<LeaseSnapshot> PgLeaseStore::Snapshot(std::string_view fleet) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  Result<PgRows> rows = PgRows{};
  {
    std::lock_guard lock(mu_);
    rows = db_->Exec(kSnapshotSql, {std::string(fleet)});
  }
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty() || !rows->rows[0][0]) return Unexpected("snapshot");
  LeaseSnapshot snap;
  snap.now_ms = std::stoll(*rows->rows[0][0]);
  snap.records.reserve(rows->rows.size());
  for (const auto& r : rows->rows) {
    if (!r[1]) continue;  // the one row of an empty fleet
    if (!r[2] || !r[3] || !r[4]) return Unexpected("snapshot");
    snap.records.push_back(LeaseRecord{static_cast<uint32_t>(std::stoul(*r[1])), *r[2],
                                       std::stoll(*r[3]), std::stoll(*r[4])});
  }
  return snap;
}

Status PgLeaseStore::DeleteFleet(std::string_view fleet) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto r = db_->Exec(kDeleteFleetSql, {std::string(fleet)});
  if (!r.ok()) return r.error();
  return Ok{};
}

Result<PgRows> PgLeaseStore::Exec(std::string_view sql, const PgParams& params) {
  std::lock_guard lock(mu_);
  return db_->Exec(sql, params);
}

Result<std::vector<bool>> PgLeaseStore::PublishAssignments(
    std::string_view fleet, const std::vector<PublishedAssignment>& assignments) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  if (auto s = ValidateAssignments(assignments); !s.ok()) return s.error();
  if (assignments.empty()) return std::vector<bool>{};
  std::vector<std::string> pods, shards;
  std::vector<int64_t> generations;
  for (const auto& a : assignments) {
    pods.push_back(a.pod);
    generations.push_back(a.generation);
    shards.push_back(a.shards);
  }
  auto rows = Exec(kPublishSql, {std::string(fleet), PgTextArray(pods), PgIntArray(generations),
                                 PgTextArray(shards)});
  if (!rows.ok()) return rows.error();
  if (rows->rows.size() != assignments.size()) return Unexpected("publish assignments");
  std::vector<bool> out;
  for (size_t i = 0; i < assignments.size(); ++i) {
    const auto& r = rows->rows[i];
    if (r.size() != 2 || !r[0] || !r[1] || *r[0] != assignments[i].pod) {
      return Unexpected("publish assignments");
    }
    out.push_back(*r[1] == "t");
  }
  return out;
}

Status PgLeaseStore::RemoveAssignments(std::string_view fleet,
                                       const std::vector<PodGeneration>& pods) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s;
  if (auto s = ValidatePodGenerations(pods); !s.ok()) return s;
  if (pods.empty()) return Ok{};
  std::vector<std::string> names;
  std::vector<int64_t> generations;
  for (const auto& p : pods) {
    names.push_back(p.pod);
    generations.push_back(p.generation);
  }
  auto rows = Exec(kRemoveAssignmentsSql,
                   {std::string(fleet), PgTextArray(names), PgIntArray(generations)});
  if (!rows.ok()) return rows.error();
  return Ok{};
}

Result<std::vector<PublishedAssignment>> PgLeaseStore::ListAssignments(std::string_view fleet) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  auto rows = Exec(kListAssignmentsSql, {std::string(fleet)});
  if (!rows.ok()) return rows.error();
  std::vector<PublishedAssignment> out;
  for (const auto& r : rows->rows) {
    if (r.size() != 3 || !r[0] || !r[1] || !r[2]) return Unexpected("list assignments");
    out.push_back({*r[0], std::stoll(*r[1]), *r[2]});
  }
  return out;
}

Result<std::optional<PublishedAssignment>> PgLeaseStore::ReadAssignment(std::string_view fleet,
                                                                        std::string_view pod) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  if (auto s = ValidatePod(pod); !s.ok()) return s.error();
  auto rows = Exec(kReadAssignmentSql, {std::string(fleet), std::string(pod)});
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty()) return std::optional<PublishedAssignment>{};
  const auto& r = rows->rows[0];
  if (r.size() != 2 || !r[0] || !r[1]) return Unexpected("read assignment");
  return std::optional<PublishedAssignment>{
      PublishedAssignment{std::string(pod), std::stoll(*r[0]), *r[1]}};
}

}  // namespace agentfleet::sources::lease
