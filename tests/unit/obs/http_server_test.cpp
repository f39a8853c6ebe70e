// Talks to the server over real loopback sockets; no external server needed.
#include "controller/obs/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "controller/obs/bind_address.h"
#include "controller/obs/probes.h"
#include "tests/unit/obs/prom_parser.h"

namespace agentfleet::obs {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string content_length;
  std::string body;
};

// One client connection; several requests may share it (keep-alive).
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  Reply Send(http::verb method, std::string target, bool keep_alive = true) {
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "localhost");
    req.keep_alive(keep_alive);
    http::write(socket_, req);
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    http::read(socket_, buffer_, parser);
    auto res = parser.release();
    return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
            std::string(res[http::field::content_length]), res.body()};
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

Reply Get(std::uint16_t port, std::string target) {
  return Client(port).Send(http::verb::get, std::move(target), false);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.RegisterCounter("scrapes_total", "Test counter.", {"who"}).WithLabels({"me"}).Inc(3);
    checks_.AddReadinessCheck("caches-synced", [this]() -> Status {
      if (synced_) return Ok{};
      return MakeError(ErrorCode::kUnavailable, "informer pods not synced");
    });
    checks_.AddReadinessCheck("always", [] { return Status(Ok{}); });
    auto s = HttpServer::Start({.bind_address = "127.0.0.1:0"},
                               MergeRoutes(MetricsRoutes(registry_), ProbeRoutes(checks_)));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    server_ = std::move(*s);
    ASSERT_NE(server_->port(), 0);
  }

  Registry registry_;
  HealthChecks checks_;
  std::atomic<bool> synced_{false};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, MetricsInTextFormat) {
  auto r = Get(server_->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  std::string error;
  auto e = testing::Parse(r.body, error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->Value("scrapes_total", {{"who", "me"}}), 3.0);
}

TEST_F(HttpServerTest, HealthzIsOkWhileRunning) {
  auto r = Get(server_->port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
}

TEST_F(HttpServerTest, ReadyzNamesFailingChecksUntilTheyPass) {
  auto r = Get(server_->port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[-]caches-synced failed"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("[+]always ok"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("informer pods"), std::string::npos) << "reasons need ?verbose";
  auto v = Get(server_->port(), "/readyz?verbose");
  EXPECT_NE(v.body.find("informer pods not synced"), std::string::npos) << v.body;
  synced_ = true;
  auto ok = Get(server_->port(), "/readyz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok");
}

TEST_F(HttpServerTest, UnknownPathsAndMethods) {
  EXPECT_EQ(Get(server_->port(), "/nope").status, 404);
  EXPECT_EQ(Get(server_->port(), "/metrics/").status, 404);
  EXPECT_EQ(Client(server_->port()).Send(http::verb::post, "/metrics", false).status, 405);
}

TEST_F(HttpServerTest, HeadSendsHeadersOnly) {
  Client c(server_->port());
  auto head = c.Send(http::verb::head, "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, "2");
  EXPECT_EQ(head.body, "");
  // The connection is still in step: the next answer is read correctly.
  EXPECT_EQ(c.Send(http::verb::get, "/healthz").body, "ok");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Client c(server_->port());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.Send(http::verb::get, "/healthz").status, 200);
    EXPECT_EQ(c.Send(http::verb::get, "/metrics").status, 200);
  }
}

TEST_F(HttpServerTest, ConcurrentScrapes) {
  std::vector<std::future<int>> results;
  for (int t = 0; t < 8; ++t) {
    results.push_back(std::async(std::launch::async, [this] {
      int ok = 0;
      Client c(server_->port());
      for (int i = 0; i < 50; ++i) ok += c.Send(http::verb::get, "/metrics").status == 200;
      return ok;
    }));
  }
  for (auto& r : results) EXPECT_EQ(r.get(), 50);
}

// The grace is long so that a busy machine cannot pass for a Stop that waited
// on an idle connection: only the grace takes a minute.
TEST(HttpServer, StopClosesIdleConnectionsAndRefusesNewOnes) {
  HttpRoutes routes{{"/healthz", [](const HttpRequest&) {
                       return HttpResponse{200, "text/plain", "ok"};
                     }}};
  constexpr auto kGrace = std::chrono::seconds(60);
  for (int round = 0; round < 20; ++round) {
    auto s = HttpServer::Start({.bind_address = "127.0.0.1:0", .shutdown_grace = kGrace}, routes);
    ASSERT_TRUE(s.ok());
    auto server = std::move(*s);
    Client idle(server->port());
    EXPECT_EQ(idle.Send(http::verb::get, "/healthz").status, 200);
    auto port = server->port();
    auto t0 = std::chrono::steady_clock::now();
    server->Stop();
    ASSERT_LT(std::chrono::steady_clock::now() - t0, kGrace / 2) << "round " << round;
    EXPECT_THROW(idle.Send(http::verb::get, "/healthz"), boost::system::system_error);
    EXPECT_THROW(Get(port, "/healthz"), boost::system::system_error);
    server->Stop();  // idempotent
  }
}

TEST(HttpServer, StopLetsAnInFlightRequestFinish) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  HttpRoutes routes{{"/slow", [&](const HttpRequest&) {
                       entered.set_value();
                       while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                       return HttpResponse{200, "text/plain", "finished"};
                     }}};
  auto s = HttpServer::Start({.bind_address = "127.0.0.1:0"}, routes);
  ASSERT_TRUE(s.ok());
  auto server = std::move(*s);
  auto reply = std::async(std::launch::async, [&] { return Get(server->port(), "/slow"); });
  entered.get_future().wait();
  std::thread stopper([&] { server->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  stopper.join();
  auto r = reply.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "finished");
}

TEST(HttpServer, ConnectionsBeyondTheLimitAreClosed) {
  HttpRoutes routes{{"/x", [](const HttpRequest&) {
                       return HttpResponse{200, "text/plain", "y"};
                     }}};
  auto s = HttpServer::Start({.bind_address = "127.0.0.1:0", .max_connections = 2}, routes);
  ASSERT_TRUE(s.ok());
  auto port = (*s)->port();
  auto first = std::make_unique<Client>(port);
  Client second(port);
  EXPECT_EQ(first->Send(http::verb::get, "/x").status, 200);
  EXPECT_EQ(second.Send(http::verb::get, "/x").status, 200);
  EXPECT_THROW(Get(port, "/x"), boost::system::system_error);
  first.reset();  // frees a slot once the server sees the close
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    try {
      served = Get(port, "/x").status == 200;
    } catch (const boost::system::system_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_TRUE(served);
  EXPECT_EQ(second.Send(http::verb::get, "/x").status, 200);
}

TEST(HttpServer, AHandlerThatThrowsIsA500) {
  auto s = HttpServer::Start(
      {.bind_address = "127.0.0.1:0"},
      {{"/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("x"); }}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Get((*s)->port(), "/boom").status, 500);
  EXPECT_EQ(Get((*s)->port(), "/boom").status, 500);
}

TEST(HttpServer, ColonPortBindsEveryInterface) {
  auto s =
      HttpServer::Start({.bind_address = ":0"}, {{"/x", [](const HttpRequest&) {
                                                    return HttpResponse{200, "text/plain", "y"};
                                                  }}});
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(Get((*s)->port(), "/x").body, "y");
}

TEST(HttpServer, BindErrors) {
  auto first = HttpServer::Start({.bind_address = "127.0.0.1:0"}, {});
  ASSERT_TRUE(first.ok());
  auto taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpServer::Start({.bind_address = taken}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message.find(taken), std::string::npos);

  auto off = HttpServer::Start({.bind_address = "0"}, {});
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, ErrorCode::kInvalidArgument);
  auto bad = HttpServer::Start({.bind_address = "8080"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(BindAddress, Forms) {
  EXPECT_TRUE(IsBindAddressDisabled("0"));
  EXPECT_FALSE(IsBindAddressDisabled(":0"));
  auto a = ParseBindAddress(":8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 8080);
  auto b = ParseBindAddress("127.0.0.1:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 0);
  auto c = ParseBindAddress("[::1]:9000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  for (auto bad : {"0", "8080", "host:", "host:65536", "host:-1", "::1:80", "[::1:80", "h:8x"}) {
    EXPECT_FALSE(ParseBindAddress(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace agentfleet::obs
