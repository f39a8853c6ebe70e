#pragma once

// A queue that every agent of a fleet takes tasks from (a Redis list, an SQS
// queue, a RabbitMQ queue), as opposed to the Redis streams of one shard each
// (task_worker.h). An agent receives whatever task comes next, whatever its
// shard; the shared-queue worker (shared_queue_worker.h) keeps the tasks of
// the shards it holds and gives the others back (docs/protocol.md, "Shared queues").
//
// A received message is in work: no other consumer gets it until it is
// settled here (Done, Return, DeadLetter) or this consumer is gone (its
// connection closed, its visibility timeout or heartbeat lapsed), when the
// queue delivers it again. Delivery is at least once. Not thread-safe: one
// worker thread owns a queue.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::agent::queues {

struct Delivery {
  std::string body;
  // What the backend settles the message by: the SQS receipt handle, the
  // AMQP delivery tag, the list element itself.
  std::string receipt;
  // When the message was enqueued, if the backend says (SQS SentTimestamp,
  // the AMQP timestamp property).
  std::optional<std::chrono::system_clock::time_point> enqueued;
};

class TaskQueue {
 public:
  virtual ~TaskQueue() = default;

  // Up to `max` messages, waiting at most `wait` for the first one; an empty
  // vector when none came.
  virtual Result<std::vector<Delivery>> Receive(int max, std::chrono::milliseconds wait) = 0;
  // Priced and written under a fence the store accepted: removed for good.
  virtual Status Done(std::span<const Delivery> deliveries) = 0;
  // Not to be priced here now (its shard is held elsewhere, or the write
  // failed): delivered again, to whichever consumer takes it next.
  virtual Status Return(std::span<const Delivery> deliveries) = 0;
  // Not a task: moved to the dead-letter destination with `reason`, never
  // delivered again.
  virtual Status DeadLetter(const Delivery& delivery, std::string_view reason) = 0;
  // Called at least every KeepAlivePeriod(), with the messages in work, while
  // the worker runs (between receives too): keeps them from being delivered
  // to another consumer (SQS: their visibility extended; a Redis list: this
  // consumer's heartbeat, and the messages of consumers whose heartbeat
  // lapsed put back).
  virtual Status KeepAlive(std::span<const Delivery> in_work) = 0;
  virtual std::chrono::milliseconds KeepAlivePeriod() const = 0;
  // For logs and errors: the backend and the queue's name, no credential.
  virtual std::string Describe() const = 0;
};

}  // namespace agentfleet::agent::queues
