#include "controller/sources/lease/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "controller/base/net/resolve.h"
#include "controller/base/redact.h"

namespace agentfleet::sources::lease {
namespace {

using Steady = std::chrono::steady_clock;
constexpr auto kClientGrace = std::chrono::milliseconds(1000);
// What one value costs beside its bytes, for the reply budget (PgOptions).
constexpr size_t kSlotBytes = 32;

ErrorCode CodeOfSqlState(const char* state) {
  if (state == nullptr || std::strlen(state) != 5) return ErrorCode::kInternal;
  const std::string_view s(state);
  if (s.starts_with("08")) return ErrorCode::kUnavailable;  // connection exception
  if (s.starts_with("28")) return ErrorCode::kUnauthorized;
  if (s == "57014") return ErrorCode::kTimeout;  // statement_timeout
  if (s.starts_with("57P") || s.starts_with("53")) return ErrorCode::kUnavailable;
  if (s == "40001" || s == "40P01") return ErrorCode::kConflict;
  if (s == "23505") return ErrorCode::kAlreadyExists;
  if (s == "42501") return ErrorCode::kForbidden;
  if (s.starts_with("22") || s.starts_with("23")) return ErrorCode::kInvalidArgument;
  return ErrorCode::kInternal;
}

// Waits until the socket is readable/writable or the deadline passes.
bool WaitFor(int fd, bool write, Steady::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let libpq report the error
  }
}

// One host, not a list or a unix-socket directory: the only form resolved
// here, the others are libpq's to handle.
bool IsSingleHost(const std::string& host) {
  return !host.empty() && host[0] != '/' && host[0] != '@' && host.find(',') == std::string::npos;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

constexpr std::array<std::string_view, 4> kSslModes = {"disable", "require", "verify-ca",
                                                       "verify-full"};

bool KnownSslMode(std::string_view mode) {
  for (auto m : kSslModes) {
    if (m == mode) return true;
  }
  return false;
}

// An sslmode as typed by someone, for a message: short, and only that value.
std::string Quoted(std::string_view mode) {
  return "\"" + std::string(mode.substr(0, 32)) + (mode.size() > 32 ? "...\"" : "\"");
}

}  // namespace

Result<std::string> ResolvePgSslMode(std::string_view conninfo, std::string_view requested) {
  if (!requested.empty() && !KnownSslMode(requested)) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "sslmode " + Quoted(requested) + " is not one of disable, require, verify-ca, verify-full");
  }
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(std::string(conninfo).c_str(), &err);
  if (err) PQfreemem(err);
  if (opts == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "the connection string is malformed");
  }
  std::string own;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (std::strcmp(o->keyword, "sslmode") == 0 && o->val != nullptr) own = o->val;
  }
  PQconninfoFree(opts);
  if (own == "allow" || own == "prefer") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sslmode=" + own +
                         " neither verifies the server nor refuses a downgrade to plain text: "
                         "use disable, require, verify-ca or verify-full");
  }
  if (!own.empty() && !KnownSslMode(own)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the connection string's sslmode " + Quoted(own) +
                         " is not one of disable, require, verify-ca, verify-full");
  }
  if (requested.empty()) return own.empty() ? std::string("verify-full") : own;
  if (!own.empty() && own != requested) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sslmode " + std::string(requested) +
                         " contradicts the connection string's sslmode=" + own +
                         ": set it in one place");
  }
  return std::string(requested);
}

std::string SystemCaBundle() {
  for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                           "/etc/ssl/cert.pem"}) {
    if (::access(path, R_OK) == 0) return path;
  }
  return "";
}

struct PgConnection::Handle {
  PGconn* conn = nullptr;
  ~Handle() { Reset(); }
  void Reset() {
    if (conn) PQfinish(conn);
    conn = nullptr;
  }
};

PgConnection::PgConnection(PgOptions options)
    : options_(std::move(options)), h_(std::make_unique<Handle>()) {
  // host:port for messages, read from the conninfo without echoing it.
  std::string host = "localhost", port = "5432";
  char* err = nullptr;
  if (PQconninfoOption* opts = PQconninfoParse(options_.conninfo.c_str(), &err)) {
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (o->val == nullptr || *o->val == '\0') continue;
      if (std::strcmp(o->keyword, "host") == 0) host = o->val;
      if (std::strcmp(o->keyword, "hostaddr") == 0 && host == "localhost") host = o->val;
      if (std::strcmp(o->keyword, "port") == 0) port = o->val;
      // A password written into the connection string (a URL from a Secret)
      // is used, and scrubbed from messages, like one given separately.
      if (std::strcmp(o->keyword, "password") == 0 && options_.password.empty()) {
        options_.password = o->val;
      }
    }
    PQconninfoFree(opts);
  }
  if (err) PQfreemem(err);
  endpoint_ = host + ":" + port;
}

PgConnection::~PgConnection() = default;

Error PgConnection::Fail(ErrorCode code, std::string what) {
  // Defence in depth: a server or libpq message must never carry the secret.
  what = Redactor({options_.password}).Redact(what);
  return MakeError(code, "postgres " + endpoint_ + ": " + Trim(std::move(what)));
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(PgOptions options) {
  std::unique_ptr<PgConnection> c(new PgConnection(std::move(options)));
  if (auto s = c->EnsureConnected(); !s.ok()) return s.error();
  return c;
}

Status PgConnection::EnsureConnected() {
  if (h_->conn && PQstatus(h_->conn) == CONNECTION_OK) return Ok{};
  h_->Reset();
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options_.conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  if (parsed == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "the connection string is malformed");
  }
  auto sslmode = ResolvePgSslMode(options_.conninfo, options_.sslmode);
  if (!sslmode.ok()) {
    PQconninfoFree(parsed);
    return Fail(sslmode.error().code, sslmode.error().message);
  }
  sslmode_ = *sslmode;
  const auto deadline = Steady::now() + options_.connect_timeout;
  std::vector<const char*> keys, values;
  std::string server_options, host, sslrootcert;
  bool has_hostaddr = false, has_sslrootcert = false;
  for (PQconninfoOption* o = parsed; o->keyword; ++o) {
    if (o->val == nullptr || *o->val == '\0' || std::strcmp(o->keyword, "password") == 0 ||
        std::strcmp(o->keyword, "sslmode") == 0) {
      continue;
    }
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "hostaddr") == 0) has_hostaddr = true;
    if (std::strcmp(o->keyword, "sslrootcert") == 0) has_sslrootcert = true;
    if (std::strcmp(o->keyword, "options") == 0) {
      server_options = std::string(o->val) + " ";
      continue;
    }
    keys.push_back(o->keyword);
    values.push_back(o->val);
  }
  server_options += "-c statement_timeout=" + std::to_string(options_.statement_timeout.count());
  keys.push_back("options");
  values.push_back(server_options.c_str());
  keys.push_back("sslmode");
  values.push_back(sslmode_.c_str());
  if (sslmode_.starts_with("verify-") && !has_sslrootcert) {
    sslrootcert = SystemCaBundle();
    if (!sslrootcert.empty()) {
      keys.push_back("sslrootcert");
      values.push_back(sslrootcert.c_str());
    }
  }
  // libpq resolves names with a blocking getaddrinfo inside PQconnectPoll,
  // beyond our deadline; resolve here instead and hand it the address (host
  // stays, for TLS verification and messages).
  std::string hostaddr;
  if (!has_hostaddr && IsSingleHost(host)) {
    auto addresses = net::ResolveHost(host, deadline);
    if (!addresses.ok()) {
      PQconninfoFree(parsed);
      return Fail(addresses.error().code, addresses.error().message);
    }
    hostaddr = addresses->front();
    keys.push_back("hostaddr");
    values.push_back(hostaddr.c_str());
  }
  if (!options_.password.empty()) {
    keys.push_back("password");
    values.push_back(options_.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  h_->conn = PQconnectStartParams(keys.data(), values.data(), 0);
  PQconninfoFree(parsed);
  if (h_->conn == nullptr) return Fail(ErrorCode::kInternal, "out of memory");
  return FinishConnect(deadline);
}

Status PgConnection::FinishConnect(std::chrono::steady_clock::time_point deadline) {
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED || PQstatus(h_->conn) == CONNECTION_BAD) {
      std::string msg = PQerrorMessage(h_->conn);
      h_->Reset();
      const bool auth = msg.find("authentication") != std::string::npos ||
                        msg.find("password") != std::string::npos;
      return Fail(auth ? ErrorCode::kUnauthorized : ErrorCode::kUnavailable,
                  "connect (sslmode=" + sslmode_ + "): " + msg);
    }
    if (!WaitFor(PQsocket(h_->conn), st == PGRES_POLLING_WRITING, deadline)) {
      h_->Reset();
      return Fail(ErrorCode::kTimeout, "connect timed out");
    }
    st = PQconnectPoll(h_->conn);
  }
  if (PQsetnonblocking(h_->conn, 1) != 0) {
    h_->Reset();
    return Fail(ErrorCode::kInternal, "cannot switch to non-blocking mode");
  }
  return Ok{};
}

Result<PgRows> PgConnection::Exec(std::string_view sql, const PgParams& params) {
  return Run(sql, &params);
}

Status PgConnection::ExecScript(std::string_view sql) {
  auto r = Run(sql, nullptr);
  if (!r.ok()) return r.error();
  return Ok{};
}

Result<PgRows> PgConnection::Run(std::string_view sql, const PgParams* params) {
  if (auto s = EnsureConnected(); !s.ok()) return s.error();
  PGconn* conn = h_->conn;
  const std::string query(sql);
  int sent = 0;
  if (params) {
    std::vector<const char*> values;
    for (const auto& p : *params) values.push_back(p ? p->c_str() : nullptr);
    sent = PQsendQueryParams(conn, query.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  } else {
    sent = PQsendQuery(conn, query.c_str());
  }
  if (!sent) {
    std::string msg = PQerrorMessage(conn);
    h_->Reset();
    return Fail(ErrorCode::kUnavailable, "send: " + msg);
  }

  // Rows one by one, so that a reply over budget is refused before libpq
  // has buffered all of it.
  (void)PQsetSingleRowMode(conn);
  const auto deadline = Steady::now() + options_.statement_timeout + kClientGrace;
  // No cancel request: libpq's PQcancel waits, without a deadline, for a
  // server that may never answer. The statement_timeout set at connect stops
  // a real server's work; dropping the connection ends it for the rest.
  auto abandon = [&](ErrorCode code, std::string what) -> Error {
    h_->Reset();
    return Fail(code, std::move(what));
  };

  auto give_up = [&]() -> Error {
    return abandon(ErrorCode::kTimeout, "no answer within the deadline");
  };
  // Flush the request, then read until libpq has whole results.
  for (;;) {
    const int f = PQflush(conn);
    if (f == 0) break;
    if (f < 0) {
      std::string msg = PQerrorMessage(conn);
      h_->Reset();
      return Fail(ErrorCode::kUnavailable, "send: " + msg);
    }
    if (!WaitFor(PQsocket(conn), true, deadline)) return give_up();
  }

  PgRows out;
  size_t reply_bytes = 0;
  std::optional<Error> error;
  for (;;) {
    while (PQisBusy(conn)) {
      if (!WaitFor(PQsocket(conn), false, deadline)) return give_up();
      if (!PQconsumeInput(conn)) {
        std::string msg = PQerrorMessage(conn);
        h_->Reset();
        return Fail(ErrorCode::kUnavailable, msg);
      }
    }
    PGresult* res = PQgetResult(conn);
    if (res == nullptr) break;
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
      const int n = PQntuples(res), m = PQnfields(res);
      for (int i = 0; i < n; ++i) {
        std::vector<std::optional<std::string>> row;
        row.reserve(static_cast<size_t>(m));
        for (int j = 0; j < m; ++j) {
          reply_bytes += kSlotBytes;
          if (PQgetisnull(res, i, j)) {
            row.emplace_back();
          } else {
            const auto len = static_cast<size_t>(PQgetlength(res, i, j));
            reply_bytes += len;
            row.emplace_back(std::string(PQgetvalue(res, i, j), len));
          }
        }
        out.rows.push_back(std::move(row));
      }
      if (out.rows.size() > options_.max_reply_rows || reply_bytes > options_.max_reply_bytes) {
        PQclear(res);
        const bool rows = out.rows.size() > options_.max_reply_rows;
        return abandon(ErrorCode::kResourceExhausted,
                       "reply over budget: more than " +
                           (rows ? std::to_string(options_.max_reply_rows) + " rows"
                                 : std::to_string(options_.max_reply_bytes) + " bytes") +
                           " refused");
      }
    } else if (st == PGRES_COMMAND_OK) {
      const char* n = PQcmdTuples(res);
      if (n && *n) out.affected += std::stoll(n);
    } else if (!error) {
      const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
      error = Fail(CodeOfSqlState(PQresultErrorField(res, PG_DIAG_SQLSTATE)),
                   primary ? primary : PQresultErrorMessage(res));
    }
    PQclear(res);
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    h_->Reset();
    if (!error) return Fail(ErrorCode::kUnavailable, "connection lost");
    if (error->code == ErrorCode::kInternal) error->code = ErrorCode::kUnavailable;
  }
  if (error) {
    // A failed statement inside an explicit transaction (a migration script)
    // leaves it aborted; roll back so the connection stays usable.
    if (h_->conn && PQtransactionStatus(h_->conn) == PQTRANS_INERROR)
      (void)Run("ROLLBACK", nullptr);
    return *error;
  }
  return out;
}

std::string PgIntArray(const std::vector<int64_t>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(values[i]);
  }
  return s + "}";
}

std::string PgTextArray(const std::vector<std::string>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    s += '"';
  }
  return s + "}";
}

}  // namespace agentfleet::sources::lease
