#pragma once

// The pure half of the SQS task queue (sqs_queue.h): where the queue is, the
// JSON bodies of its calls and what their answers mean, without I/O. The
// signing and the calls themselves are controller/sources/queue/sqs_protocol.h.

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/url.h"
#include "examples/agent/queues/task_queue.h"

namespace agentfleet::agent::queues::sqs {

// SQS takes at most 10 entries per batch call and per receive.
inline constexpr size_t kMaxBatch = 10;
// The longest long poll SQS allows.
inline constexpr int kMaxWaitSeconds = 20;
// Cut of a dead-letter reason: enough for any parse error, far below the
// attribute size limit.
inline constexpr size_t kMaxReason = 512;

struct QueueLocation {
  sources::queue::Url endpoint;  // where calls go: scheme://host:port
  std::string queue_url;         // empty: resolve `name` with GetQueueUrl
  std::string name;
};

// From --queue-url and --queue-name: a URL with a path beyond "/" is the
// queue's (its last segment the name); otherwise it is the endpoint and the
// queue is `queue_name`. kInvalidArgument when neither names a queue.
Result<QueueLocation> LocateQueue(std::string_view queue_url, std::string_view queue_name);

// --dead-letter-queue, or <name>-dead.
std::string DeadLetterName(std::string_view flag, std::string_view queue_name);

// SQS counts in whole seconds: the wait rounded up and clamped to 1..20 (0
// would be a short poll, and a worker loop around it would spin).
int WaitTimeSeconds(std::chrono::milliseconds wait);
// The visibility timeout in whole seconds, rounded up, 1..12 hours.
int VisibilitySeconds(std::chrono::milliseconds visibility);

std::string ReceiveMessageBody(std::string_view queue_url, int max, int wait_seconds,
                               int visibility_seconds);
// The messages of a ReceiveMessage answer; none when it has no "Messages".
// Errors quote no body: it holds receipt handles.
Result<std::vector<Delivery>> DeliveriesFromResponse(const sources::queue::HttpResponse& response,
                                                     std::string_view what);

// One body per chunk of at most kMaxBatch; entry ids are the indexes within
// the chunk.
std::vector<std::string> DeleteMessageBatchBodies(std::string_view queue_url,
                                                  std::span<const Delivery> deliveries);
std::vector<std::string> ChangeVisibilityBatchBodies(std::string_view queue_url,
                                                     std::span<const Delivery> deliveries,
                                                     int visibility_seconds);

struct BatchFailures {
  int failed = 0;
  std::vector<std::string> codes;  // distinct, sorted: SQS's codes, never its messages
};
// The "Failed" entries of a batch answer. Their messages may quote receipt
// handles, so only the codes are kept.
Result<BatchFailures> FailuresFromResponse(const sources::queue::HttpResponse& response,
                                           std::string_view what);

// The original body, to `dead_letter_url`, with the message attributes
// "reason" (cut to kMaxReason) and "source" (the queue's name).
std::string SendDeadLetterBody(std::string_view dead_letter_url, std::string_view body,
                               std::string_view reason, std::string_view source);
std::string DeleteMessageBody(std::string_view queue_url, std::string_view receipt);

// `text` as an SQS attribute value: at most `max` bytes, never cut inside a
// UTF-8 sequence; bytes SQS refuses (controls, broken UTF-8) become '?'.
std::string AttributeText(std::string_view text, size_t max);

// Ok for 200, else the error the answer stands for.
Status CheckResponse(const sources::queue::HttpResponse& response, std::string_view what);

}  // namespace agentfleet::agent::queues::sqs
