#include "controller/sources/queue/rabbitmq_source.h"

#include "controller/base/redact.h"
#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/rabbitmq_protocol.h"
#include "controller/sources/queue/url.h"

namespace agentfleet::sources::queue {
namespace {

class RabbitMqSource final : public QueueSource {
 public:
  RabbitMqSource(RabbitMqConfig config, Url endpoint)
      : config_(std::move(config)),
        // The encoded Authorization value is as much a credential as the password.
        redactor_({config_.credentials.password,
                   rabbitmq::BasicAuthorization(config_.credentials.username,
                                                config_.credentials.password)
                       .substr(6)}),
        what_("rabbitmq queue " + config_.queue + " in vhost " + config_.vhost) {
    request_.url = std::move(endpoint);
    request_.url.path = rabbitmq::QueuePath(request_.url.path, config_.vhost, config_.queue);
    // Only the counters: queue documents can be large (per-consumer details).
    request_.url.query = config_.include_unacked ? "columns=messages_ready,messages_unacknowledged"
                                                 : "columns=messages_ready";
    request_.headers = {
        {"Accept", "application/json"},
        {"Authorization",
         rabbitmq::BasicAuthorization(config_.credentials.username, config_.credentials.password)}};
  }

  Result<QueueDepth> ReadDepth() override {
    auto response = HttpFetch(request_, config_.tls, config_.timeout);
    if (!response.ok()) return redactor_.Redact(response.error());
    // Before anything quotes it, cut short or not: a cut could split a secret.
    response->body = redactor_.Redact(std::move(response->body));
    auto depth = rabbitmq::DepthFromResponse(*response, config_.include_unacked, what_);
    if (!depth.ok()) return redactor_.Redact(depth.error());
    return QueueDepth{*depth, {}};
  }

  std::string Describe() const override { return what_ + " at " + request_.url.Origin(); }

 private:
  const RabbitMqConfig config_;
  const Redactor redactor_;
  const std::string what_;
  HttpRequest request_;
};

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, "rabbitmq source: " + std::move(message));
}

}  // namespace

Result<std::unique_ptr<QueueSource>> MakeRabbitMqSource(RabbitMqConfig config) {
  if (config.queue.empty()) return Invalid("queue name is required");
  if (config.vhost.empty()) return Invalid("vhost must not be empty (the default vhost is \"/\")");
  if (config.credentials.username.empty()) return Invalid("a username is required");
  if (config.timeout <= std::chrono::milliseconds::zero()) return Invalid("timeout must be > 0");
  auto endpoint = ParseUrl(config.endpoint);
  if (!endpoint.ok()) return Invalid("endpoint: " + endpoint.error().message);
  if (!endpoint->query.empty()) return Invalid("endpoint must not have a query string");
  return std::unique_ptr<QueueSource>(new RabbitMqSource(std::move(config), *endpoint));
}

}  // namespace agentfleet::sources::queue
