#include "controller/obs/http_server.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "controller/obs/bind_address.h"

namespace agentfleet::obs {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
class Session;
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr std::chrono::milliseconds kStopIdleInterval{100};
}  // namespace

struct HttpServer::State {
  HttpServerOptions options;
  HttpRoutes routes;
  std::atomic<bool> stopping{false};

  // Declared before the io_context: sessions destroyed along with it still
  // unregister here.
  std::mutex mu;
  std::condition_variable sessions_done;
  std::uint64_t next_session = 0;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;

  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer accept_retry{acceptor.get_executor()};
  std::uint16_t port = 0;
  std::vector<std::thread> threads;
  bool stopped = false;  // guarded by mu

  void Accept();
};

namespace {

HttpResponse Route(const HttpServer::State& st, const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return {405, "text/plain; charset=utf-8", "method not allowed\n"};
  }
  std::string_view target(req.target().data(), req.target().size());
  HttpRequest r;
  r.method = std::string(req.method_string().data(), req.method_string().size());
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  auto it = st.routes.find(r.path);
  if (it == st.routes.end()) return {404, "text/plain; charset=utf-8", "404 page not found\n"};
  try {
    return it->second(r);
  } catch (...) {
    return {500, "text/plain; charset=utf-8", "internal error\n"};
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `st` outlives every session: Stop joins the threads before the state goes
  // away, and sessions still pending then die inside the io_context's
  // destructor, while the state's lock and session map (declared before the
  // io_context) are still whole.
  Session(tcp::socket socket, HttpServer::State* st, std::uint64_t id)
      : stream_(std::move(socket)), st_(st), id_(id) {}

  ~Session() {
    std::lock_guard lock(st_->mu);
    st_->sessions.erase(id_);
    st_->sessions_done.notify_all();
  }

  auto GetExecutor() { return stream_.get_executor(); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Runs on the session's strand. A connection waiting for its next request is
  // closed at once; one being answered closes after the answer is written.
  void StopIfIdle() {
    if (idle_) stream_.cancel();
  }

 private:
  void Read() {
    if (st_->stopping) return Close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(st_->options.idle_timeout);
    idle_ = true;
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    idle_ = false;
    if (ec) return Close();  // closed by the peer, timed out, cancelled or malformed
    auto req = parser_->release();
    HttpResponse out = Route(*st_, req);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), req.version());
    res->set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res->set(name, value);
    if (out.status == 405) res->set(http::field::allow, "GET, HEAD");
    bool keep_alive = req.keep_alive() && !st_->stopping;
    res->keep_alive(keep_alive);
    if (req.method() == http::verb::head) {
      res->content_length(out.body.size());
    } else {
      res->body() = std::move(out.body);
      res->prepare_payload();
    }
    stream_.expires_after(st_->options.idle_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->Close();
          self->Read();
        });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::State* st_;
  std::uint64_t id_;
  bool idle_ = false;
};

}  // namespace

void HttpServer::State::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping || ec == net::error::operation_aborted) return;
    if (ec) {
      // Typically out of file descriptors: retry shortly rather than spin.
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code wec) {
        if (!wec && !stopping) Accept();
      });
      return;
    }
    std::shared_ptr<Session> session;
    {
      std::lock_guard lock(mu);
      if (sessions.size() >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        Accept();
        return;
      }
      auto id = next_session++;
      session = std::make_shared<Session>(std::move(socket), this, id);
      sessions.emplace(id, session);
    }
    session->Start();
    Accept();
  });
}

namespace {

Result<tcp::endpoint> Resolve(const BindAddress& addr, net::io_context& ioc) {
  beast::error_code ec;
  if (addr.host.empty()) return tcp::endpoint(tcp::v6(), addr.port);
  auto ip = net::ip::make_address(addr.host, ec);
  if (!ec) return tcp::endpoint(ip, addr.port);
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(addr.host, std::to_string(addr.port), ec);
  if (ec || results.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "bind address host \"" + addr.host + "\": " + ec.message());
  }
  return results.begin()->endpoint();
}

beast::error_code Bind(tcp::acceptor& acceptor, const tcp::endpoint& ep, bool dual_stack) {
  beast::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (dual_stack) acceptor.set_option(net::ip::v6_only(false), ec);
  acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
  }
  return ec;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpRoutes routes) {
  auto addr = ParseBindAddress(options.bind_address);
  if (!addr) return addr.error();
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  state->routes = std::move(routes);
  auto ep = Resolve(*addr, state->ioc);
  if (!ep) return ep.error();
  auto ec = Bind(state->acceptor, *ep, addr->host.empty());
  if (ec && addr->host.empty()) {
    // No IPv6 on this host: every IPv4 interface is what ":port" means then.
    ec = Bind(state->acceptor, tcp::endpoint(tcp::v4(), addr->port), false);
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "bind " + state->options.bind_address + ": " + ec.message());
  }
  state->port = state->acceptor.local_endpoint().port();
  state->Accept();
  int threads = std::max(1, state->options.threads);
  for (int i = 0; i < threads; ++i) {
    state->threads.emplace_back([s = state.get()] { s->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

HttpServer::HttpServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() {
  Stop();
}

std::uint16_t HttpServer::port() const {
  return state_->port;
}

void HttpServer::Stop() {
  auto& st = *state_;
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(st.mu);
    if (st.stopped) return;
    st.stopped = true;
    st.stopping = true;
    for (auto& [id, weak] : st.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  net::post(st.acceptor.get_executor(), [&st] {
    beast::error_code ignored;
    st.acceptor.close(ignored);
    st.accept_retry.cancel();
  });
  // Asked again every kStopIdleInterval until the grace ends: one ask can find
  // a connection between its answer and its next read (not idle yet), and a
  // connection that missed it would otherwise hold Stop for the whole grace.
  const auto deadline = std::chrono::steady_clock::now() + st.options.shutdown_grace;
  for (;;) {
    for (auto& s : live) {
      net::post(s->GetExecutor(), [s] { s->StopIfIdle(); });
    }
    live.clear();
    std::unique_lock lock(st.mu);
    auto until = std::min(deadline, std::chrono::steady_clock::now() + kStopIdleInterval);
    if (st.sessions_done.wait_until(lock, until, [&] { return st.sessions.empty(); }) ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    for (auto& [id, weak] : st.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  st.ioc.stop();
  for (auto& t : st.threads) t.join();
  st.threads.clear();
  // The close posted above may never have run if the loop stopped first; with
  // every thread joined it is safe to close here, and a listening socket left
  // open would accept connections that nobody serves.
  beast::error_code ignored;
  st.acceptor.close(ignored);
  st.accept_retry.cancel();
}

}  // namespace agentfleet::obs
