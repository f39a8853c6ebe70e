#pragma once

// An Amazon SQS queue (or a compatible server: ElasticMQ) as a shared task
// queue, through SQS's JSON protocol signed with Signature V4. A received
// message stays invisible to other consumers for the visibility timeout,
// which KeepAlive extends while it is in work; a consumer that dies simply
// stops extending it, and SQS delivers the message again. Done deletes,
// Return makes visible at once, DeadLetter sends the body to the dead-letter
// queue (with "reason" and "source" message attributes) and deletes the
// original: a send that went through and a delete that did not leave the
// message to be dead-lettered again (at least once).
//
// Errors quote no credential, signature or receipt handle: whatever a server
// answers is scrubbed of those before it is read.

#include <memory>
#include <string>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/source_config.h"
#include "examples/agent/queues/sqs_messages.h"
#include "examples/agent/queues/task_queue.h"

namespace agentfleet::agent::queues {

struct SqsQueueConfig {
  // The queue URL, or the service endpoint http(s)://host:port with
  // `queue_name` (sqs_messages.h LocateQueue).
  std::string queue_url;
  std::string queue_name;
  std::string dead_letter_queue;  // a name; empty: <name>-dead. It must exist.
  std::string region;             // empty: from an sqs.<region>.amazonaws.com host
  sources::queue::AwsCredentials credentials;
  std::chrono::milliseconds visibility_timeout{30'000};
  // Of each call but a receive, which gets its wait on top.
  std::chrono::milliseconds timeout{10'000};
  sources::queue::TlsConfig tls;
};

class SqsQueue final : public TaskQueue {
 public:
  // Resolves the queue and the dead-letter queue, so that a wrong name, a
  // missing dead-letter queue or refused credentials stop the agent at start.
  static Result<std::unique_ptr<SqsQueue>> Open(SqsQueueConfig config);

  Result<std::vector<Delivery>> Receive(int max, std::chrono::milliseconds wait) override;
  Status Done(std::span<const Delivery> deliveries) override;
  Status Return(std::span<const Delivery> deliveries) override;
  Status DeadLetter(const Delivery& delivery, std::string_view reason) override;
  Status KeepAlive(std::span<const Delivery> in_work) override;
  std::chrono::milliseconds KeepAlivePeriod() const override;
  std::string Describe() const override;

  const std::string& queue_url() const { return queue_url_; }
  const std::string& dead_letter_url() const { return dead_letter_url_; }

 private:
  SqsQueue(SqsQueueConfig config, sqs::QueueLocation location);

  // One signed call. A failed answer comes back scrubbed of the credentials,
  // the signature and `receipts`.
  Result<sources::queue::HttpResponse> Call(std::string_view action, std::string body,
                                            std::chrono::milliseconds timeout,
                                            std::span<const Delivery> receipts = {});
  Result<std::string> ResolveUrl(const std::string& name);
  // Every chunk of `bodies` (kMaxBatch `deliveries` each) tried; what failed,
  // counted.
  Status Batch(std::string_view action, std::span<const Delivery> deliveries,
               std::vector<std::string> bodies);

  SqsQueueConfig config_;
  sqs::QueueLocation location_;
  std::string queue_url_;
  std::string dead_letter_url_;
};

}  // namespace agentfleet::agent::queues
