// PostgreSQL specifics: migrations, deadlines, authentication, secrets.
#include "controller/sources/lease/pg_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "controller/sources/lease/pg_lease_store.h"
#include "controller/sources/lease/pg_schema.h"
#include "tests/integration/sources/lease/postgres_fixture.h"
#include "tests/integration/sources/lease/store_harness.h"
#include "tests/integration/sources/redis/silent_server.h"

namespace agentfleet::sources::lease::testing {
namespace {

using namespace std::chrono_literals;
using agentfleet::testing::ClosedPort;
using agentfleet::testing::SilentServer;
using Steady = std::chrono::steady_clock;

std::unique_ptr<PgConnection> MustConnect(PgOptions o = PostgresFixture()) {
  auto c = PgConnection::Connect(std::move(o));
  if (!c.ok()) throw std::runtime_error(c.error().ToString());
  return std::move(*c);
}

std::string Loopback(uint16_t port) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=agentfleet dbname=agentfleet";
}

TEST(PgSchema, MigrationIsIdempotentAndConcurrent) {
  auto db = MustConnect();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(MigrateLeaseSchema(*db).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto c = MustConnect();
      if (!MigrateLeaseSchema(*c).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*SchemaVersion(*db, "shard_leases"), kLeaseSchemaVersion);
  EXPECT_EQ(*SchemaVersion(*db, "nothing"), 0);
  auto cols = db->Exec(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'shard_leases' "
      "ORDER BY ordinal_position");
  ASSERT_TRUE(cols.ok());
  std::vector<std::string> names;
  for (const auto& r : cols->rows) names.push_back(*r[0]);
  EXPECT_EQ(names, (std::vector<std::string>{"fleet", "shard", "holder", "token", "expires_at"}));
}

// A database at version 1 (leases only) gains the published assignments in
// place; its leases are untouched. In a schema of its own, so that the shared
// tables are not touched.
TEST(PgSchema, VersionOneGainsPublishedAssignments) {
  std::string schema = UniqueName("leases_v1");
  for (char& c : schema) c = c == '-' ? '_' : c;
  auto db = MustConnect();
  ASSERT_TRUE(db->ExecScript("CREATE SCHEMA " + schema + ";\nSET search_path TO " + schema +
                             ";\n"
                             "CREATE TABLE agentfleet_schema (component text PRIMARY KEY,\n"
                             "  version integer NOT NULL,\n"
                             "  applied_at timestamptz NOT NULL DEFAULT now());\n"
                             "INSERT INTO agentfleet_schema VALUES ('shard_leases', 1);\n"
                             "CREATE TABLE shard_leases (fleet text NOT NULL,\n"
                             "  shard integer NOT NULL CHECK (shard >= 0),\n"
                             "  holder text NOT NULL DEFAULT '', token bigint NOT NULL,\n"
                             "  expires_at timestamptz NOT NULL, PRIMARY KEY (fleet, shard));\n"
                             "INSERT INTO shard_leases VALUES ('f', 3, 'a/1', 5, now());\n")
                  .ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(MigrateLeaseSchema(*db).ok()) << "run " << i;
  EXPECT_EQ(*SchemaVersion(*db, "shard_leases"), 2);
  EXPECT_EQ(kLeaseSchemaVersion, 2);
  PgLeaseStore store(std::move(db));  // keeps the connection and its search_path
  auto snap = store.Snapshot("f");
  ASSERT_TRUE(snap.ok()) << snap.error().ToString();
  ASSERT_EQ(snap->records.size(), 1u);
  EXPECT_EQ(snap->records[0].token, 5);
  auto published = store.PublishAssignments("f", {{"pod-a", 1, "3"}});
  ASSERT_TRUE(published.ok()) << published.error().ToString();
  auto read = store.ReadAssignment("f", "pod-a");
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(*read, (PublishedAssignment{"pod-a", 1, "3"}));
}

TEST(PgConnection, FailedMigrationStatementLeavesConnectionUsable) {
  auto db = MustConnect();
  auto bad = db->ExecScript("BEGIN; SELECT 1/0; COMMIT;");
  ASSERT_FALSE(bad.ok());
  auto ok = db->Exec("SELECT 1");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
}

TEST(PgConnection, ParametersAndNulls) {
  auto db = MustConnect();
  auto r = db->Exec("SELECT $1::text, $2::text IS NULL, array_length($3::text[], 1)",
                    {"it's \"q\"", std::nullopt, PgTextArray({"a,b", "{c}", "d\\\"e"})});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r->rows[0][0], "it's \"q\"");
  EXPECT_EQ(*r->rows[0][1], "t");
  EXPECT_EQ(*r->rows[0][2], "3");
}

TEST(PgConnection, StatementTimeoutIsTyped) {
  PgOptions o = PostgresFixture();
  o.statement_timeout = 300ms;
  auto db = MustConnect(o);
  const auto start = Steady::now();
  auto r = db->Exec("SELECT pg_sleep(5)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().ToString();
  EXPECT_LT(Steady::now() - start, 2s);
  EXPECT_TRUE(db->Exec("SELECT 1").ok());
}

TEST(PgConnection, SilentServerTimesOutOnConnect) {
  SilentServer silent;
  PgOptions o;
  o.conninfo = Loopback(silent.port());
  o.connect_timeout = 300ms;
  const auto start = Steady::now();
  auto c = PgConnection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kTimeout) << c.error().ToString();
  EXPECT_LT(Steady::now() - start, 1500ms);
}

TEST(PgConnection, RefusedIsUnavailable) {
  PgOptions o;
  o.conninfo = Loopback(ClosedPort());
  auto c = PgConnection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable) << c.error().ToString();
  EXPECT_NE(c.error().message.find("127.0.0.1:"), std::string::npos) << c.error().message;
}

TEST(PgConnection, HostNamesAreResolved) {
  PgOptions o = PostgresFixture();
  o.conninfo = "host=localhost port=" +
               ReadLine(std::string(std::getenv("AGENTFLEET_POSTGRES_DIR")) + "/port") +
               " user=agentfleet dbname=agentfleet sslmode=disable";
  auto c = PgConnection::Connect(o);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ((*c)->endpoint().rfind("localhost:", 0), 0u) << (*c)->endpoint();

  o.conninfo = "host=no-such-host.invalid port=5432 user=agentfleet dbname=agentfleet";
  o.connect_timeout = 2s;
  const auto start = Steady::now();
  auto bad = PgConnection::Connect(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().code == ErrorCode::kUnavailable ||
              bad.error().code == ErrorCode::kTimeout)
      << bad.error().ToString();
  EXPECT_LT(Steady::now() - start, 3s);
}

TEST(PgConnection, ReconnectsAfterTheBackendIsKilled) {
  auto db = MustConnect();
  auto pid = db->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  auto admin = MustConnect();
  ASSERT_TRUE(admin->Exec("SELECT pg_terminate_backend($1::int)", {*pid->rows[0][0]}).ok());
  auto dead = db->Exec("SELECT 1");
  ASSERT_FALSE(dead.ok());
  EXPECT_EQ(dead.error().code, ErrorCode::kUnavailable) << dead.error().ToString();
  auto again = db->Exec("SELECT 1");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
}

TEST(PgConnection, PasswordInsideAUrlIsUsed) {
  const PgOptions fixture = PostgresFixture();
  PgOptions o;
  o.conninfo =
      "postgresql://agentfleet:" + fixture.password +
      "@127.0.0.1:" + ReadLine(std::string(std::getenv("AGENTFLEET_POSTGRES_DIR")) + "/port") +
      "/agentfleet?sslmode=disable&application_name=agentfleet-test&options=-c%20work_mem%3D8MB";
  auto c = PgConnection::Connect(o);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  // The URL's own server options survive next to statement_timeout.
  auto r = (*c)->Exec("SELECT current_setting('work_mem'), current_setting('statement_timeout')");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r->rows[0][0], "8MB");
  EXPECT_EQ(*r->rows[0][1], "3s");
}

// The fixture server has no TLS. libpq's own default (prefer) would connect to
// it in plain text without a word; the client never lets that default apply.
PgOptions PlainFixtureWithout(std::string_view keyword) {
  PgOptions o = PostgresFixture();
  const size_t at = o.conninfo.find(keyword);
  if (at != std::string::npos) o.conninfo.erase(at);  // the fixture writes sslmode last
  return o;
}

TEST(PgSslMode, DisableConnectsToAPlainServerInPlainText) {
  PgOptions o = PlainFixtureWithout(" sslmode=");
  o.sslmode = "disable";
  auto db = MustConnect(o);
  auto ssl = db->Exec("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_TRUE(ssl.ok()) << ssl.error().ToString();
  EXPECT_EQ(*ssl->rows[0][0], "f");
}

TEST(PgSslMode, TlsModesAndTheDefaultRefuseAPlainServerClearly) {
  for (const char* mode : {"require", "verify-ca", "verify-full", ""}) {
    PgOptions o = PlainFixtureWithout(" sslmode=");
    o.sslmode = mode;
    auto c = PgConnection::Connect(o);
    ASSERT_FALSE(c.ok()) << "sslmode '" << mode << "' connected to a server without TLS";
    const std::string want = *mode ? mode : "verify-full";
    EXPECT_EQ(c.error().code, ErrorCode::kUnavailable) << c.error().ToString();
    EXPECT_NE(c.error().message.find("(sslmode=" + want + ")"), std::string::npos)
        << c.error().message;
    EXPECT_NE(c.error().message.find("server does not support SSL"), std::string::npos)
        << c.error().message;
    EXPECT_EQ(c.error().message.find(o.password), std::string::npos);
  }
}

TEST(PgSslMode, PreferInTheUrlIsRefusedBeforeAnyConnection) {
  PgOptions o = PlainFixtureWithout(" sslmode=");
  o.conninfo += " sslmode=prefer";
  auto c = PgConnection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << c.error().ToString();
  EXPECT_NE(c.error().message.find("sslmode=prefer neither verifies"), std::string::npos);
}

// Planted secrets: a wrong password, a password inside the connection string,
// none may surface in any error.
TEST(PgSecrets, NoErrorMessageCarriesThePassword) {
  const std::string secret = "planted-pg-secret-plugh";
  std::vector<std::string> messages;
  PgOptions wrong = PostgresFixture();
  wrong.password = secret;
  auto a = PgConnection::Connect(wrong);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kUnauthorized) << a.error().ToString();
  messages.push_back(a.error().ToString());

  PgOptions inline_pw = PostgresFixture();
  inline_pw.conninfo += " password=" + secret;
  inline_pw.password.clear();
  auto b = PgConnection::Connect(inline_pw);
  ASSERT_FALSE(b.ok());
  messages.push_back(b.error().ToString());

  PgOptions refused;
  refused.conninfo = Loopback(ClosedPort()) + " password=" + secret;
  refused.password = secret;
  auto c = PgConnection::Connect(refused);
  ASSERT_FALSE(c.ok());
  messages.push_back(c.error().ToString());

  PgOptions url_pw;
  url_pw.conninfo = "postgresql://agentfleet:" + secret + "@127.0.0.1:" +
                    ReadLine(std::string(std::getenv("AGENTFLEET_POSTGRES_DIR")) + "/port") +
                    "/agentfleet?sslmode=disable";
  auto u = PgConnection::Connect(url_pw);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kUnauthorized) << u.error().ToString();
  messages.push_back(u.error().ToString());

  PgOptions malformed;
  malformed.conninfo = "host=127.0.0.1 password=" + secret + " 'unterminated";
  auto d = PgConnection::Connect(malformed);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  messages.push_back(d.error().ToString());

  auto store = PgLeaseStore::Connect(wrong);
  ASSERT_FALSE(store.ok());
  messages.push_back(store.error().ToString());

  for (const auto& m : messages) {
    EXPECT_EQ(m.find(secret), std::string::npos) << m;
    EXPECT_EQ(m.find("plugh"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace agentfleet::sources::lease::testing
