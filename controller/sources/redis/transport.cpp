#include "controller/sources/redis/transport.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "controller/base/net/resolve_tcp.h"

namespace agentfleet::sources::redis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct Transport::Impl {
  explicit Impl(const Options& o) : options(o), ssl_ctx(asio::ssl::context::tls_client) {}

  const Options& options;
  asio::io_context io;
  asio::ssl::context ssl_ctx;
  std::optional<asio::ssl::stream<tcp::socket>> stream;
  RespParser parser;
  bool is_open = false;

  tcp::socket& socket() { return stream->next_layer(); }

  Error Fail(ErrorCode code, const std::string& what) {
    Close();
    return MakeError(code, "redis " + options.Endpoint() + ": " + what);
  }

  void Close() {
    if (stream) {
      error_code ignored;
      socket().close(ignored);
    }
    is_open = false;
    parser = RespParser();
  }

  // Runs the io_context until *ec is set by a completion handler or the
  // deadline passes; on the deadline the socket is closed, which cancels the
  // operation, and its handler is drained. Returns false on the deadline.
  bool RunUntil(Deadline deadline, const std::optional<error_code>& ec) {
    io.restart();
    while (!ec) {
      if (io.run_one_until(deadline) == 0 && !ec) {
        error_code ignored;
        if (stream) socket().close(ignored);
        io.restart();
        io.run();
        return false;
      }
    }
    return true;
  }

  template <typename Op>
  void WithStream(Op&& op) {
    if (options.tls) {
      op(*stream);
    } else {
      op(socket());
    }
  }

  static std::string Describe(const error_code& ec) {
    if (ec == asio::error::eof) return "connection closed by the server";
    return ec.message();
  }
};

Transport::Transport(const Options& options) : impl_(std::make_unique<Impl>(options)) {}
Transport::~Transport() {
  impl_->Close();
}

bool Transport::open() const {
  return impl_->is_open;
}
void Transport::Close() {
  impl_->Close();
}

Status Transport::Open(Deadline deadline) {
  Impl& m = *impl_;
  m.Close();
  const Options& o = m.options;

  if (o.tls) {
    error_code ec;
    if (!o.tls_ca_file.empty()) {
      m.ssl_ctx.load_verify_file(o.tls_ca_file, ec);
      if (ec)
        return m.Fail(ErrorCode::kInvalidArgument, "cannot load TLS CA file: " + ec.message());
    } else {
      m.ssl_ctx.set_default_verify_paths(ec);
      if (ec) return m.Fail(ErrorCode::kInternal, "no system trust store: " + ec.message());
    }
    m.ssl_ctx.set_verify_mode(asio::ssl::verify_peer);
  }
  m.stream.emplace(m.io, m.ssl_ctx);

  auto endpoints = net::ResolveTcp(o.host, o.port, deadline);
  if (!endpoints.ok()) return m.Fail(endpoints.error().code, endpoints.error().message);

  std::optional<error_code> done;
  asio::async_connect(m.socket(), *endpoints,
                      [&](const error_code& ec, const tcp::endpoint&) { done = ec; });
  if (!m.RunUntil(deadline, done)) return m.Fail(ErrorCode::kTimeout, "connect timed out");
  if (*done) return m.Fail(ErrorCode::kUnavailable, "connect: " + done->message());
  m.socket().set_option(tcp::no_delay(true));

  if (o.tls) {
    const std::string& name = o.tls_server_name.empty() ? o.host : o.tls_server_name;
    error_code not_ip;
    asio::ip::make_address(name, not_ip);
    if (not_ip)
      SSL_set_tlsext_host_name(m.stream->native_handle(), name.c_str());  // SNI: names only
    m.stream->set_verify_callback(asio::ssl::host_name_verification(name));
    done.reset();
    m.stream->async_handshake(asio::ssl::stream_base::client,
                              [&](const error_code& ec) { done = ec; });
    if (!m.RunUntil(deadline, done)) return m.Fail(ErrorCode::kTimeout, "TLS handshake timed out");
    if (*done) return m.Fail(ErrorCode::kUnavailable, "TLS handshake: " + done->message());
  }
  m.is_open = true;
  return Ok{};
}

Result<std::vector<Reply>> Transport::RoundTrip(const std::string& request, size_t replies,
                                                Deadline deadline, std::string_view what) {
  Impl& m = *impl_;
  if (!m.is_open) return m.Fail(ErrorCode::kUnavailable, "not connected");
  const std::string cmd(what);

  std::optional<error_code> done;
  m.WithStream([&](auto& s) {
    asio::async_write(s, asio::buffer(request), [&](const error_code& ec, size_t) { done = ec; });
  });
  if (!m.RunUntil(deadline, done)) {
    return m.Fail(ErrorCode::kTimeout, cmd + ": could not send within the deadline");
  }
  if (*done) return m.Fail(ErrorCode::kUnavailable, cmd + ": send: " + Impl::Describe(*done));

  std::vector<Reply> out;
  out.reserve(replies);
  std::vector<char> buf(64 * 1024);
  while (out.size() < replies) {
    auto next = m.parser.Next();
    if (!next.ok()) return m.Fail(next.error().code, cmd + ": " + next.error().message);
    if (*next) {
      out.push_back(std::move(**next));
      continue;
    }
    done.reset();
    size_t got = 0;
    m.WithStream([&](auto& s) {
      s.async_read_some(asio::buffer(buf), [&](const error_code& ec, size_t n) {
        done = ec;
        got = n;
      });
    });
    if (!m.RunUntil(deadline, done)) {
      return m.Fail(ErrorCode::kTimeout, cmd + ": no reply within the deadline");
    }
    if (*done) return m.Fail(ErrorCode::kUnavailable, cmd + ": read: " + Impl::Describe(*done));
    m.parser.Feed(std::string_view(buf.data(), got));
  }
  return out;
}

}  // namespace agentfleet::sources::redis
