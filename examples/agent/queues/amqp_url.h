#pragma once

// amqp:// and amqps:// URLs as RabbitMQ's URI specification reads them
// (https://www.rabbitmq.com/docs/uri-spec, .../uri-query-parameters). Pure.
//
//   amqp[s]://[user[:password]@]host[:port][/vhost][?query]
//
// User, password and vhost are percent-decoded, so a vhost "/" is written
// %2F. Without user information the credentials are guest/guest, RabbitMQ's
// default. The vhost is "/" when the path is empty ("amqp://h" and
// "amqp://h/" alike, as pika and the Java client read them: an empty vhost
// name is never meant). Query parameters understood: heartbeat (seconds),
// connection_timeout (milliseconds), cacertfile, certfile, keyfile (amqps);
// any other is refused rather than silently ignored.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::agent::queues {

struct AmqpUrl {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 5672;
  std::string vhost = "/";
  // Never logged and never part of an error message.
  std::string user = "guest";
  std::string password = "guest";
  std::chrono::seconds heartbeat{10};
  std::chrono::milliseconds connection_timeout{5'000};
  std::string ca_file;    // amqps: trusted CAs; empty: the system's
  std::string cert_file;  // amqps: a client certificate, with key_file
  std::string key_file;

  // "host:port" (IPv6 in brackets), for messages: no credential.
  std::string Endpoint() const;
};

// kInvalidArgument on anything malformed; the error never quotes the URL,
// which may carry a password.
Result<AmqpUrl> ParseAmqpUrl(std::string_view url);

}  // namespace agentfleet::agent::queues
