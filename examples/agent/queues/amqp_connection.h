#pragma once

// One AMQP 0-9-1 connection to RabbitMQ (rabbitmq-c) with one channel, and
// its failures as Errors. Every wait is bounded: the TCP connect and TLS
// handshake by the URL's connection_timeout, the login likewise, each RPC by
// `rpc_timeout`, reads by their caller's timeout and the negotiated
// heartbeat, writes by TCP_USER_TIMEOUT. amqps verifies the broker's
// certificate chain and its name (OpenSSL's check, IP addresses included).
// Errors name the endpoint and vhost, never the password.

#include <amqp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "examples/agent/queues/amqp_url.h"

namespace agentfleet::agent::queues {

inline constexpr amqp_channel_t kAmqpChannel = 1;

class AmqpConnection {
 public:
  // TCP or TLS, login (PLAIN), channel kAmqpChannel open.
  static Result<std::unique_ptr<AmqpConnection>> Open(const AmqpUrl& url,
                                                      std::chrono::milliseconds rpc_timeout);
  ~AmqpConnection();  // connection.close when the socket still works (bounded), then freed
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  amqp_connection_state_t state() const { return state_; }
  // False once anything failed: the channel (or all of it) is gone.
  bool usable() const { return usable_; }

  // Ok, or the Error of the synchronous method just called (`what` names it).
  Status CheckRpc(std::string_view what);
  Status Check(const amqp_rpc_reply_t& reply, std::string_view what);
  Status CheckStatus(int status, std::string_view what);
  // The broker closed the channel or the connection (`method`): answered
  // with its close-ok, and the Error saying why.
  Error Closed(const amqp_method_t& method, std::string_view what);
  // For messages: "rabbitmq host:port vhost '/'".
  const std::string& where() const { return where_; }

 private:
  AmqpConnection(amqp_connection_state_t state, std::string where, std::string password);
  Error Fail(ErrorCode code, std::string_view what, std::string detail, bool socket_ok);
  Status Login(const AmqpUrl& url);

  amqp_connection_state_t state_;
  std::string where_;
  std::string password_;  // only to keep it out of any message
  bool usable_ = true;
  bool socket_ok_ = true;  // connection.close can still be sent
  bool logging_in_ = false;
};

}  // namespace agentfleet::agent::queues
