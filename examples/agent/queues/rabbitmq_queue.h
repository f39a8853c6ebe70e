#pragma once

// A RabbitMQ queue (AMQP 0-9-1) as a shared task queue. Producers publish
// JSON task messages (task_message.h) to <queue>, which must exist: the agent
// never creates it (its type, durability and limits are the producers'), and
// the operator scales on its ready count. An agent consumes with manual acks
// and basic.qos prefetch, so the broker sends at most `prefetch` messages
// ahead and requeues whatever an agent holds when its connection closes:
// that is the in-work state, no visibility or heartbeat to extend.
//
// Done acks; Return nacks with requeue; DeadLetter publishes a copy to
// <dead_letter_queue> (declared durable here) through the default exchange,
// persistent, mandatory, with the headers x-agentfleet-reason and
// x-agentfleet-source, and acks the original only once the broker confirmed
// the copy (publisher confirms). A broken connection is reported, never
// fatal: the next Receive reconnects, with backoff, and receipts of the old
// connection no longer settle anything (delivery_tags.h). A consumer that
// stops receiving (its agent holds no shard) pauses after a few seconds and
// gives back what the broker pushed ahead, so that other agents get it.

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "examples/agent/queues/amqp_connection.h"
#include "examples/agent/queues/amqp_url.h"
#include "examples/agent/queues/delivery_tags.h"
#include "examples/agent/queues/task_queue.h"

namespace agentfleet::agent::queues {

struct RabbitMqConfig {
  AmqpUrl url;  // the password already resolved
  std::string queue;
  std::string dead_letter_queue;  // empty: <queue>.dead
  int prefetch = 64;              // 1 to 65535
  // Each RPC, and the confirm of a dead-letter copy.
  std::chrono::milliseconds rpc_timeout{5'000};
  std::chrono::milliseconds max_backoff{5'000};  // between reconnect attempts
  // Not received for this long: pause the consumer (see above).
  std::chrono::milliseconds idle_pause{5'000};
};

class RabbitMqQueue final : public TaskQueue {
 public:
  // Connects and checks the queues; the error names what is wrong.
  static Result<std::unique_ptr<RabbitMqQueue>> Open(RabbitMqConfig config);
  ~RabbitMqQueue() override;  // closes the connection: the broker requeues what is in work

  Result<std::vector<Delivery>> Receive(int max, std::chrono::milliseconds wait) override;
  Status Done(std::span<const Delivery> deliveries) override;
  Status Return(std::span<const Delivery> deliveries) override;
  Status DeadLetter(const Delivery& delivery, std::string_view reason) override;
  Status KeepAlive(std::span<const Delivery> in_work) override;
  std::chrono::milliseconds KeepAlivePeriod() const override;
  std::string Describe() const override;

  const std::string& dead_letter_queue() const { return config_.dead_letter_queue; }

 private:
  explicit RabbitMqQueue(RabbitMqConfig config);
  Status Connect();
  Status Consume();  // basic.consume, manual acks
  // Stops consuming and gives back what was pushed ahead but not received.
  Status Pause();
  // Connected, or an attempt made if the backoff allows one within `wait`.
  Status Reconnect(std::chrono::milliseconds wait);
  Error Drop(Error why);
  // Reads one frame or message, waiting at most `wait`: a delivery goes to
  // buffered_, a confirm to confirm_. false: nothing came in time.
  Result<bool> Pump(std::chrono::milliseconds wait);
  Status HandleFrame(const amqp_frame_t& frame);
  Status Settle(std::span<const Delivery> deliveries, bool ack);
  Status Connected() const;

  RabbitMqConfig config_;
  std::unique_ptr<AmqpConnection> conn_;  // null while disconnected
  DeliveryTags tags_;
  std::deque<Delivery> buffered_;  // delivered, not yet handed out by Receive
  std::string consumer_tag_;       // empty: not consuming (paused or disconnected)
  std::chrono::steady_clock::time_point last_receive_{};
  uint64_t published_ = 0;       // publish sequence number (confirms)
  std::optional<bool> confirm_;  // of the copy awaited: acked or nacked
  bool returned_ = false;        // the copy awaited was unroutable
  std::optional<Error> last_error_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace agentfleet::agent::queues
