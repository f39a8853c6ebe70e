#pragma once

// A small synchronous libpq wrapper with deadlines: non-blocking connect
// bounded by connect_timeout, server-side statement_timeout, and a client-side
// deadline (statement_timeout + grace) after which the connection is dropped.
// Rows are read one at a time (libpq's single-row mode) within a budget of
// rows and bytes. After any connection failure the next call reconnects once.
// Failures are typed Errors naming host:port and the server's message; the
// connection string and the password never appear in them. Not thread-safe:
// one connection per thread, or guard it.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::sources::lease {

struct PgOptions {
  // libpq keyword/value form ("host=... port=... user=... dbname=...") or a
  // postgresql:// URL; may carry sslmode/sslrootcert. A password here is used
  // when `password` is empty; either way it never appears in an error.
  std::string conninfo;
  std::string password;
  // disable, require, verify-ca or verify-full (ResolvePgSslMode); empty: the
  // conninfo's own sslmode, else verify-full.
  std::string sslmode;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds statement_timeout{3000};
  // The most one reply may bring (the server is one a fleet's author names):
  // beyond either, the connection is dropped and the call fails with
  // kResourceExhausted. A lease snapshot has one row per
  // shard (at most 65,536); bytes count each value plus 32 for its slot.
  size_t max_reply_rows = 262144;
  size_t max_reply_bytes = size_t{64} << 20;
};

// The sslmode a connection uses, always handed to libpq explicitly so that its
// default (prefer: TLS if the server offers it, plain text if not, the
// certificate never checked) never applies. `requested` (a spec field or a
// flag) wins; else the conninfo's own sslmode; else verify-full. Only disable,
// require, verify-ca and verify-full are accepted: allow and prefer neither
// verify the server nor refuse a downgrade to plain text. A requested mode that
// contradicts the conninfo's is refused rather than silently preferred.
// kInvalidArgument, never quoting the conninfo.
Result<std::string> ResolvePgSslMode(std::string_view conninfo, std::string_view requested);

// The CA bundle libpq checks a verify-ca/verify-full server against when the
// conninfo names no sslrootcert: the system's (libpq itself would look for
// ~/.postgresql/root.crt). Empty when the system has none.
std::string SystemCaBundle();

// Rows in text form; a SQL NULL is nullopt.
struct PgRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t affected = 0;  // for INSERT/UPDATE/DELETE without RETURNING
};

using PgParams = std::vector<std::optional<std::string>>;

class PgConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> Connect(PgOptions options);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One parameterised statement (extended protocol), params as text.
  Result<PgRows> Exec(std::string_view sql, const PgParams& params = {});
  // Several statements in one string (simple protocol), no parameters; they
  // run in one implicit transaction. For migrations.
  Status ExecScript(std::string_view sql);

  const std::string& endpoint() const { return endpoint_; }

 private:
  explicit PgConnection(PgOptions options);
  Status EnsureConnected();
  // Drives a started connection to the end, or to the deadline.
  Status FinishConnect(std::chrono::steady_clock::time_point deadline);
  Result<PgRows> Run(std::string_view sql, const PgParams* params);
  Error Fail(ErrorCode code, std::string what);

  struct Handle;
  PgOptions options_;
  std::string endpoint_;
  std::string sslmode_;  // as resolved at the last connect
  std::unique_ptr<Handle> h_;
};

// Postgres text array literal of integers: {1,2,3}.
std::string PgIntArray(const std::vector<int64_t>& values);
// Postgres text array literal of strings, every element quoted and escaped.
std::string PgTextArray(const std::vector<std::string>& values);

}  // namespace agentfleet::sources::lease
