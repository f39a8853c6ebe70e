// The PostgreSQL server of a lease table is one a fleet's author names, and may
// answer with anything. One that streams rows without end must cost the
// client a bounded amount of memory and end in a typed error, not in the
// operator's (or an agent's) OOM kill.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "controller/sources/lease/pg_connection.h"
#include "tests/support/sanitizers.h"

namespace agentfleet::sources::lease {
namespace {

namespace asio = boost::asio;

// Peak resident memory of this process since the last ResetPeak(), in KiB:
// libpq frees what it buffered when the query ends, so only the peak shows it.
long PeakRssKiB() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}
void ResetPeak() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

void Int32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void Int16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
// A backend message: type byte, length (itself included), body.
std::string Message(char type, const std::string& body) {
  std::string m(1, type);
  Int32(m, static_cast<uint32_t>(body.size() + 4));
  return m + body;
}

// A server that completes the startup (no authentication), then answers the
// first query with a one-column row description and rows of `row_bytes`
// again and again until the client goes away or `limit` bytes are out. With
// `limit` 0 it answers nothing and holds the connection until the client
// leaves. It never accepts a second connection (a cancel request included).
class EndlessRowsServer {
 public:
  EndlessRowsServer(size_t row_bytes, size_t limit)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([=, this] {
      asio::ip::tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec) return;
      char buf[4096];
      s.read_some(asio::buffer(buf), ec);  // the startup message
      std::string params;
      for (const char* kv : {"server_version", "15.0", "client_encoding", "UTF8",
                             "standard_conforming_strings", "on"}) {
        params += kv;
        params += '\0';
      }
      std::string auth_ok, key, ready(1, 'I');
      Int32(auth_ok, 0);
      Int32(key, 42);
      Int32(key, 7);
      std::string hello = Message('R', auth_ok);
      for (size_t at = 0; at < params.size();) {
        size_t k = params.find('\0', at), v = params.find('\0', k + 1);
        hello += Message('S', params.substr(at, v + 1 - at));
        at = v + 1;
      }
      hello += Message('K', key) + Message('Z', ready);
      asio::write(s, asio::buffer(hello), ec);
      s.read_some(asio::buffer(buf), ec);  // the query
      std::string field = std::string("x") + '\0';
      Int32(field, 0);
      Int16(field, 0);
      Int32(field, 25);  // text
      Int16(field, 0xffff);
      Int32(field, 0xffffffff);
      Int16(field, 0);
      std::string desc;
      Int16(desc, 1);
      std::string head = Message('1', "") + Message('2', "") + Message('T', desc + field);
      std::string row;
      Int16(row, 1);
      Int32(row, static_cast<uint32_t>(row_bytes));
      row += std::string(row_bytes, 'x');
      std::string unit;
      for (size_t i = 0; i < std::max<size_t>(1, 65536 / row_bytes); ++i) unit += Message('D', row);
      if (limit == 0) {
        while (!ec) s.read_some(asio::buffer(buf), ec);
        return;
      }
      asio::write(s, asio::buffer(head), ec);
      for (size_t sent = 0; !ec && sent < limit; sent += unit.size()) {
        asio::write(s, asio::buffer(unit), ec);
      }
      sent_all_ = !ec;
    });
  }
  ~EndlessRowsServer() {
    acceptor_.close();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  bool sent_all() const { return sent_all_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> sent_all_{false};
};

Result<PgRows> QueryAt(uint16_t port,
                       std::chrono::milliseconds statement_timeout = std::chrono::seconds(60)) {
  PgOptions o;
  o.conninfo = "host=127.0.0.1 port=" + std::to_string(port) +
               " user=agents dbname=leases sslmode=disable gssencmode=disable";
  o.statement_timeout = statement_timeout;
  auto c = PgConnection::Connect(o);
  if (!c.ok()) return c.error();
  return (*c)->Exec("SELECT holder FROM leases WHERE fleet = $1", {std::string("shop/pricing")});
}

TEST(PgHostileServer, EndlessSmallRowsAreRefusedWithinTheRowBudget) {
  EndlessRowsServer server(8, size_t{512} << 20);
  ResetPeak();
  const long before = PeakRssKiB();
  auto r = QueryAt(server.port());
  const long grown_mib = (PeakRssKiB() - before) / 1024;
  ASSERT_FALSE(r.ok()) << "an endless reply was taken in: " << r->rows.size() << " rows";
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().ToString();
  EXPECT_NE(r.error().message.find("rows"), std::string::npos) << r.error().message;
  EXPECT_LT(grown_mib, testing::RssBoundMiB(200)) << "RSS grew by " << grown_mib << " MiB";
  EXPECT_FALSE(server.sent_all());
}

TEST(PgHostileServer, EndlessLargeRowsAreRefusedWithinTheByteBudget) {
  EndlessRowsServer server(size_t{1} << 20, size_t{1} << 30);
  ResetPeak();
  const long before = PeakRssKiB();
  auto r = QueryAt(server.port());
  const long grown_mib = (PeakRssKiB() - before) / 1024;
  ASSERT_FALSE(r.ok()) << "an endless reply was taken in: " << r->rows.size() << " rows";
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().ToString();
  EXPECT_NE(r.error().message.find("bytes"), std::string::npos) << r.error().message;
  EXPECT_LT(grown_mib, testing::RssBoundMiB(200)) << "RSS grew by " << grown_mib << " MiB";
  EXPECT_FALSE(server.sent_all());
}

// The client's deadline holds even when the server takes no cancel request:
// the statement_timeout the client sets stops a real server's work, so the
// client just drops the connection.
TEST(PgHostileServer, ASilentServerEndsInATimeoutAtTheDeadline) {
  EndlessRowsServer server(8, 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = QueryAt(server.port(), std::chrono::milliseconds(500));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().ToString();
  EXPECT_LT(took, std::chrono::seconds(10));
}

}  // namespace
}  // namespace agentfleet::sources::lease
