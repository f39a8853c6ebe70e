#include "examples/agent/open_task_queue.h"

#include "controller/sources/redis/client.h"
#include "examples/agent/queues/rabbitmq_queue.h"
#include "examples/agent/queues/redis_list_queue.h"
#include "examples/agent/queues/sqs_queue.h"

namespace agentfleet::agent {
namespace {

Result<std::unique_ptr<queues::TaskQueue>> OpenSqs(const AgentOptions& o, obs::Logger& log) {
  log.AddSecret(o.aws_secret_access_key);
  log.AddSecret(o.aws_session_token);
  auto q = queues::SqsQueue::Open(
      {.queue_url = o.queue_url,
       .queue_name = o.queue_name,
       .dead_letter_queue = o.dead_letter_queue,
       .region = o.sqs_region,
       .credentials = {o.aws_access_key_id, o.aws_secret_access_key, o.aws_session_token},
       .visibility_timeout = o.visibility_timeout});
  if (!q.ok()) return q.error();
  return std::unique_ptr<queues::TaskQueue>(std::move(*q));
}

Result<std::unique_ptr<queues::TaskQueue>> OpenRedisList(const AgentOptions& o,
                                                         const std::string& consumer,
                                                         obs::Logger& log) {
  auto opts = sources::redis::ParseUrl(o.queue_url);
  if (!opts.ok()) return opts.error();
  if (!o.queue_password.empty()) opts->password = o.queue_password;
  log.AddSecret(opts->password);
  // The blocking receive must end before the client's deadline.
  opts->command_timeout = o.block + std::chrono::seconds(2);
  auto client = sources::redis::Client::Connect(*opts);
  if (!client.ok()) return client.error();
  return std::unique_ptr<queues::TaskQueue>(std::make_unique<queues::RedisListQueue>(
      queues::RedisListConfig{
          .key = o.queue_name,
          .dead_key = o.dead_letter_queue,
          .consumer = consumer,
          .heartbeat_ttl = std::max(o.claim_min_idle, std::chrono::milliseconds(1'000))},
      std::move(*client)));
}

Result<std::unique_ptr<queues::TaskQueue>> OpenRabbitMq(const AgentOptions& o, obs::Logger& log) {
  auto url = queues::ParseAmqpUrl(o.queue_url);
  if (!url.ok()) return url.error();
  if (!o.queue_password.empty()) url->password = o.queue_password;
  log.AddSecret(url->password);
  auto queue =
      queues::RabbitMqQueue::Open({.url = std::move(*url),
                                   .queue = o.queue_name,
                                   .dead_letter_queue = o.dead_letter_queue,
                                   .prefetch = o.prefetch > 0 ? o.prefetch : o.batch_size});
  if (!queue.ok()) return queue.error();
  return std::unique_ptr<queues::TaskQueue>(std::move(*queue));
}

}  // namespace

Result<std::unique_ptr<queues::TaskQueue>> OpenTaskQueue(const AgentOptions& o,
                                                         const std::string& consumer,
                                                         obs::Logger& log) {
  if (o.queue_backend == "sqs") return OpenSqs(o, log);
  if (o.queue_backend == "redis-list") return OpenRedisList(o, consumer, log);
  if (o.queue_backend == "rabbitmq") return OpenRabbitMq(o, log);
  return MakeError(ErrorCode::kInvalidArgument,
                   "--queue-backend " + o.queue_backend + " has no shared queue here");
}

}  // namespace agentfleet::agent
