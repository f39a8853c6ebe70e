#include "examples/agent/queues/amqp_connection.h"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

#include "examples/agent/queues/amqp_text.h"

namespace agentfleet::agent::queues {
namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  const auto ms = std::max<int64_t>(0, d.count());
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

std::string Text(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

// A half-open connection (the broker's host gone, no RST) is noticed by the
// kernel, not only by the heartbeat: idle probes, and unacknowledged writes
// abandoned after `limit`, so that no send waits forever.
void BoundSocket(int fd, std::chrono::milliseconds limit) {
  if (fd < 0) return;
  int on = 1, idle = 10, interval = 5, count = 3;
  const auto user_timeout = static_cast<unsigned>(limit.count());
  (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// rabbitmq-c 0.11 checks the peer only after the handshake and matches DNS
// names alone; OpenSSL's own check fails the handshake itself, says why, and
// matches IP addresses against their SAN entries too.
Status SetUpTls(amqp_socket_t* socket, const AmqpUrl& url) {
  amqp_ssl_socket_set_verify_peer(socket, 1);
  amqp_ssl_socket_set_verify_hostname(socket, 0);
  auto* ctx = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  const int named = IsIpAddress(url.host)
                        ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                        : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
  if (named != 1) return MakeError(ErrorCode::kInvalidArgument, "cannot check the broker's name");
  if (!url.ca_file.empty()) {
    if (amqp_ssl_socket_set_cacert(socket, url.ca_file.c_str()) != AMQP_STATUS_OK) {
      return MakeError(ErrorCode::kInvalidArgument, "cannot load cacertfile " + url.ca_file);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot load the system's trusted CAs");
  }
  if (!url.cert_file.empty() && amqp_ssl_socket_set_key(socket, url.cert_file.c_str(),
                                                        url.key_file.c_str()) != AMQP_STATUS_OK) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot load certfile " + url.cert_file + " with keyfile " + url.key_file);
  }
  return Ok{};
}

// OpenSSL's reason for a failed handshake ("certificate verify failed").
std::string TlsReason() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    if (const char* r = ERR_reason_error_string(e)) out = r;
  }
  return out;
}

}  // namespace

AmqpConnection::AmqpConnection(amqp_connection_state_t state, std::string where,
                               std::string password)
    : state_(state), where_(std::move(where)), password_(std::move(password)) {}

AmqpConnection::~AmqpConnection() {
  if (socket_ok_) {
    const timeval tv = ToTimeval(std::chrono::milliseconds(1'000));
    amqp_set_rpc_timeout(state_, &tv);
    (void)amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

Result<std::unique_ptr<AmqpConnection>> AmqpConnection::Open(
    const AmqpUrl& url, std::chrono::milliseconds rpc_timeout) {
  amqp_connection_state_t state = amqp_new_connection();
  if (state == nullptr) return MakeError(ErrorCode::kResourceExhausted, "amqp_new_connection");
  std::unique_ptr<AmqpConnection> c(new AmqpConnection(
      state, "rabbitmq " + url.Endpoint() + " vhost '" + url.vhost + "'", url.password));
  c->socket_ok_ = false;  // until open

  amqp_socket_t* socket = url.tls ? amqp_ssl_socket_new(state) : amqp_tcp_socket_new(state);
  if (socket == nullptr) return c->Fail(ErrorCode::kInternal, "creating a socket", "", false);
  if (url.tls) {
    if (auto s = SetUpTls(socket, url); !s.ok()) {
      return c->Fail(s.error().code, "setting up TLS", s.error().message, false);
    }
  }
  const timeval connect = ToTimeval(url.connection_timeout);
  ERR_clear_error();
  if (int st = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &connect);
      st != AMQP_STATUS_OK) {
    std::string detail = amqp_error_string2(st);
    if (url.tls) {
      if (std::string why = TlsReason(); !why.empty()) detail += ": " + why;
    }
    return c->Fail(ErrorCodeOfStatus(st), url.tls ? "connecting (TLS)" : "connecting", detail,
                   false);
  }
  c->socket_ok_ = true;
  BoundSocket(amqp_socket_get_sockfd(socket),
              std::max<std::chrono::milliseconds>(
                  {std::chrono::milliseconds(10'000), rpc_timeout, 2 * url.heartbeat}));
  const timeval handshake = ToTimeval(url.connection_timeout), rpc = ToTimeval(rpc_timeout);
  amqp_set_handshake_timeout(state, &handshake);
  amqp_set_rpc_timeout(state, &rpc);
  if (auto s = c->Login(url); !s.ok()) return s.error();
  amqp_channel_open(state, kAmqpChannel);
  if (auto s = c->CheckRpc("opening a channel"); !s.ok()) return s.error();
  return c;
}

Status AmqpConnection::Login(const AmqpUrl& url) {
  // consumer_cancel_notify: a deleted queue cancels the consumer with a
  // basic.cancel instead of leaving it silently without deliveries.
  amqp_table_entry_t capability;
  capability.key = amqp_cstring_bytes("consumer_cancel_notify");
  capability.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capability.value.value.boolean = 1;
  amqp_table_entry_t property;
  property.key = amqp_cstring_bytes("capabilities");
  property.value.kind = AMQP_FIELD_KIND_TABLE;
  property.value.value.table = amqp_table_t{1, &capability};
  const amqp_table_t properties{1, &property};
  const int heartbeat = static_cast<int>(url.heartbeat.count());
  logging_in_ = true;
  Status s = Check(amqp_login_with_properties(state_, url.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE,
                                              heartbeat, &properties, AMQP_SASL_METHOD_PLAIN,
                                              url.user.c_str(), url.password.c_str()),
                   "logging in as '" + url.user + "'");
  logging_in_ = false;
  return s;
}

Status AmqpConnection::CheckRpc(std::string_view what) {
  return Check(amqp_get_rpc_reply(state_), what);
}

Status AmqpConnection::Check(const amqp_rpc_reply_t& reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return Ok{};
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return Closed(reply.reply, what);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return CheckStatus(reply.library_error, what);
    default:
      return Fail(ErrorCode::kInternal, what, "no reply", false);
  }
}

Status AmqpConnection::CheckStatus(int status, std::string_view what) {
  if (status == AMQP_STATUS_OK) return Ok{};
  std::string detail = amqp_error_string2(status);
  ErrorCode code = ErrorCodeOfStatus(status);
  // Without authentication_failure_close a broker refuses a login by
  // closing the socket.
  if (logging_in_ &&
      (status == AMQP_STATUS_CONNECTION_CLOSED || status == AMQP_STATUS_SOCKET_CLOSED)) {
    code = ErrorCode::kUnauthorized;
    detail += " (a wrong user or password, or no access to the vhost?)";
  }
  return Fail(code, what, detail, false);
}

Error AmqpConnection::Closed(const amqp_method_t& method, std::string_view what) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(method.decoded);
    amqp_connection_close_ok_t ok{};
    (void)amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    return Fail(ErrorCodeOfReply(m->reply_code, logging_in_), what,
                "the broker closed the connection: " + Text(m->reply_text), false);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_channel_close_t*>(method.decoded);
    amqp_channel_close_ok_t ok{};
    const bool sent =
        amqp_send_method(state_, kAmqpChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) == AMQP_STATUS_OK;
    return Fail(ErrorCodeOfReply(m->reply_code), what,
                "the broker closed the channel: " + Text(m->reply_text), sent);
  }
  char id[16];
  std::snprintf(id, sizeof id, "0x%08x", static_cast<unsigned>(method.id));
  return Fail(ErrorCode::kInternal, what, std::string("unexpected method ") + id, false);
}

Error AmqpConnection::Fail(ErrorCode code, std::string_view what, std::string detail,
                           bool socket_ok) {
  usable_ = false;
  socket_ok_ = socket_ok_ && socket_ok;
  // Brokers do not echo passwords; a proxy in between might.
  for (size_t at; !password_.empty() && (at = detail.find(password_)) != std::string::npos;) {
    detail.replace(at, password_.size(), "***");
  }
  std::string message = where_ + ": " + std::string(what);
  if (!detail.empty()) message += ": " + detail;
  return MakeError(code, std::move(message));
}

}  // namespace agentfleet::agent::queues
