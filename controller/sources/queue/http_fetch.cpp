#include "controller/sources/queue/http_fetch.h"

#include <openssl/ssl.h>
#include <strings.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>

#include "controller/base/net/resolve_tcp.h"

namespace agentfleet::sources::queue {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr size_t kMaxBody = 8 << 20;

struct Target {
  std::string where;  // host:port, for messages
  std::chrono::milliseconds timeout;
};

// `action` completes "... <action> host:port", e.g. "connect to".
Error Failure(const Target& t, const error_code& ec, std::string_view action) {
  if (ec == beast::error::timeout) {
    return MakeError(ErrorCode::kTimeout, "timed out after " + std::to_string(t.timeout.count()) +
                                              " ms trying to " + std::string(action) + " " +
                                              t.where);
  }
  const bool tls = ec.category() == asio::error::get_ssl_category() ||
                   ec.category() == ssl::error::get_stream_category();
  return MakeError(ErrorCode::kUnavailable, std::string(tls ? "TLS: " : "") + "cannot " +
                                                std::string(action) + " " + t.where + ": " +
                                                ec.message());
}

// Runs the io_context until the one pending operation completes. Every
// operation is bounded by the tcp_stream's expiry, so this cannot block past
// the deadline.
void RunOne(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

template <typename Stream>
Result<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream, const HttpRequest& req,
                              const Target& t) {
  http::request<http::string_body> r;
  r.method_string(req.method);
  r.target(req.url.path + (req.url.query.empty() ? "" : "?" + req.url.query));
  r.version(11);
  r.set(http::field::host, req.url.HostHeader());
  r.set(http::field::user_agent, "agentfleet");
  r.set(http::field::connection, "close");
  for (const auto& [name, value] : req.headers) r.set(name, value);
  r.body() = req.body;
  r.prepare_payload();

  error_code ec;
  http::async_write(stream, r, [&](error_code e, size_t) { ec = e; });
  RunOne(ioc);
  if (ec) return Failure(t, ec, "send the request to");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  http::async_read(stream, buffer, parser, [&](error_code e, size_t) { ec = e; });
  RunOne(ioc);
  if (ec) return Failure(t, ec, "read the answer from");

  auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

Result<std::unique_ptr<ssl::context>> MakeTlsContext(const TlsConfig& tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "cannot load the CA file " + tls.ca_file + ": " + ec.message());
    }
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "cannot load the client certificate " + tls.cert_file + ": " + ec.message());
    }
    ctx->use_private_key_file(tls.key_file.empty() ? tls.cert_file : tls.key_file,
                              ssl::context::pem, ec);
    if (ec) {
      // The key file's content must never reach a message; its path may.
      return MakeError(ErrorCode::kInvalidArgument, "cannot load the client key: " + ec.message());
    }
  }
  return ctx;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return "";
}

Result<HttpResponse> HttpFetch(const HttpRequest& request, const TlsConfig& tls,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const Target t{request.url.host + ":" + std::to_string(request.url.port), timeout};

  std::unique_ptr<ssl::context> ctx;
  if (request.url.tls()) {
    auto made = MakeTlsContext(tls);
    if (!made.ok()) return made.error();
    ctx = std::move(made).value();
  }

  auto endpoints = net::ResolveTcp(request.url.host, request.url.port, deadline);
  if (!endpoints.ok()) return endpoints.error();

  asio::io_context ioc;
  beast::tcp_stream tcp_stream(ioc);
  tcp_stream.expires_at(deadline);
  error_code ec;
  tcp_stream.async_connect(*endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
  RunOne(ioc);
  if (ec) return Failure(t, ec, "connect to");

  if (!request.url.tls()) return Exchange(ioc, tcp_stream, request, t);

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *ctx);
  const std::string name = tls.server_name.empty() ? request.url.host : tls.server_name;
  if (tls.insecure_skip_verify) {
    stream.set_verify_mode(ssl::verify_none);
  } else {
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(name));
  }
  error_code not_ip;
  asio::ip::make_address(name, not_ip);
  if (not_ip) SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  beast::get_lowest_layer(stream).expires_at(deadline);
  stream.async_handshake(ssl::stream_base::client, [&](error_code e) { ec = e; });
  RunOne(ioc);
  if (ec) return Failure(t, ec, "complete the TLS handshake with");
  return Exchange(ioc, stream, request, t);
}

}  // namespace agentfleet::sources::queue
