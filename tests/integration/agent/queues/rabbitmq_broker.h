#pragma once

// The fixture broker ($AGENTFLEET_RABBITMQ_DIR, tests/servers/rabbitmq.sh)
// as the RabbitMQ queue's tests use it: its management API for users, vhosts
// and connections, and an AMQP connection of its administrator to declare,
// publish and inspect queues exactly (queue.declare counts; the management
// statistics lag).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "examples/agent/queues/amqp_connection.h"
#include "examples/agent/queues/amqp_url.h"

namespace agentfleet::agent::queues::testing {

class Broker {
 public:
  Broker();  // a test failure when a fixture file is missing

  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  std::string ca_file() const;
  // amqp://user@127.0.0.1:port/vhost, the vhost percent-encoded; amqps:// on
  // the TLS port with `tls`. No password in it.
  std::string Url(const std::string& user, const std::string& vhost = "/", bool tls = false) const;
  // Url() parsed, with `password`.
  AmqpUrl Parsed(const std::string& user, const std::string& password,
                 const std::string& vhost = "/") const;

  // Management API.
  void CreateVhost(const std::string& vhost);  // the administrator may do anything in it
  void CreateUser(const std::string& user, const std::string& password,
                  const std::string& vhost = "/");
  // Closes every connection of `user`; how many there were.
  int CloseConnectionsOf(const std::string& user);

  // AMQP, as the administrator.
  std::string DeclareQueue(const std::string& prefix, const std::string& vhost = "/");
  void DeleteQueue(const std::string& queue, const std::string& vhost = "/");
  void Publish(const std::string& queue, const std::string& body,
               std::optional<int64_t> timestamp = std::nullopt, const std::string& vhost = "/");
  int64_t Ready(const std::string& queue, const std::string& vhost = "/");
  struct Message {
    std::string body;
    std::map<std::string, std::string> headers;  // string values only
    bool persistent = false;
  };
  // Takes the next ready message off `queue` for good.
  std::optional<Message> Get(const std::string& queue, const std::string& vhost = "/");

 private:
  std::string Admin(const std::string& method, const std::string& path,
                    const std::string& body = "");
  AmqpConnection& Amqp(const std::string& vhost);

  std::string url_, user_, password_;
  uint16_t amqp_port_ = 0, amqps_port_ = 0;
  std::map<std::string, std::unique_ptr<AmqpConnection>> amqp_;
};

// Something unique per run.
std::string UniqueName(const std::string& prefix);

}  // namespace agentfleet::agent::queues::testing
