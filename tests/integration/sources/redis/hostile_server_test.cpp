// A server a fleet's author points the operator at may answer with anything.
// One that streams an endless array must cost the client a bounded amount of
// memory and end in a typed error, not in the operator's OOM kill.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <string>
#include <thread>

#include "controller/sources/redis/client.h"

namespace agentfleet::sources::redis {
namespace {

namespace asio = boost::asio;

// Resident memory of this process, in KiB.
long RssKiB() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Accepts one connection, reads the command, then writes `header` once and
// `unit` again and again until the peer goes away or `limit` bytes are out.
class FloodServer {
 public:
  FloodServer(std::string header, std::string unit, size_t limit)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([=, this] {
      asio::ip::tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec) return;
      char buf[256];
      s.read_some(asio::buffer(buf), ec);
      asio::write(s, asio::buffer(header), ec);
      for (size_t sent = 0; !ec && sent < limit; sent += unit.size()) {
        asio::write(s, asio::buffer(unit), ec);
      }
      sent_all_ = !ec;
    });
  }
  ~FloodServer() {
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

Result<Reply> PingAt(uint16_t port) {
  Options o;
  o.port = port;
  o.command_timeout = std::chrono::seconds(20);
  auto client = Client::Connect(o);
  if (!client.ok()) return client.error();
  return (*client)->Command({"PING"});
}

TEST(RedisHostileServer, AnEndlessNestOfArraysIsRefusedWithinTheBudget) {
  std::string unit = "*1000\r\n";
  for (int i = 0; i < 1000; ++i) unit += ":1\r\n";
  FloodServer server("*1000000\r\n", unit, size_t{256} << 20);
  const long before = RssKiB();
  auto r = PingAt(server.port());
  const long grown_mib = (RssKiB() - before) / 1024;
  ASSERT_FALSE(r.ok()) << "an endless reply was taken in";
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().ToString();
  EXPECT_NE(r.error().message.find("elements refused"), std::string::npos) << r.error().message;
  EXPECT_LT(grown_mib, 200) << "RSS grew by " << grown_mib << " MiB";
  EXPECT_FALSE(server.sent_all());
}

TEST(RedisHostileServer, AnEndlessStreamOfBulkStringsIsRefusedWithinTheBudget) {
  const std::string unit = "$1048576\r\n" + std::string(1 << 20, 'x') + "\r\n";
  FloodServer server("*100000\r\n", unit, size_t{256} << 20);
  const long before = RssKiB();
  auto r = PingAt(server.port());
  const long grown_mib = (RssKiB() - before) / 1024;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().ToString();
  EXPECT_LT(grown_mib, 200) << "RSS grew by " << grown_mib << " MiB";
}

TEST(RedisHostileServer, AnArrayHeaderClaimingBillionsIsRefusedAtOnce) {
  FloodServer server("*4294967295\r\n", ":1\r\n", 1 << 20);
  auto r = PingAt(server.port());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().ToString();
}

}  // namespace
}  // namespace agentfleet::sources::redis
