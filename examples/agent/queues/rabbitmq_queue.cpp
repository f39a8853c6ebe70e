#include "examples/agent/queues/rabbitmq_queue.h"

#include <algorithm>
#include <thread>

#include "examples/agent/queues/amqp_text.h"

namespace agentfleet::agent::queues {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr size_t kReasonMax = 1024;
constexpr milliseconds kFirstBackoff{100};
// The worker calls KeepAlive this often; each call reads what is pending,
// which also answers and checks the heartbeat.
constexpr milliseconds kKeepAlivePeriod{1'000};
// Frames read per KeepAlive at most: the broker sends no more than the
// prefetch ahead, so this only bounds a pathological stream of other frames.
constexpr int kMaxFramesPerKeepAlive = 1'000;

amqp_bytes_t Bytes(std::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

timeval ToTimeval(milliseconds d) {
  const auto ms = std::max<int64_t>(0, d.count());
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

milliseconds Until(Clock::time_point t) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(t - Clock::now()));
}

Delivery FromEnvelope(const amqp_envelope_t& env, std::string receipt) {
  Delivery d;
  d.body.assign(static_cast<const char*>(env.message.body.bytes), env.message.body.len);
  d.receipt = std::move(receipt);
  const amqp_basic_properties_t& p = env.message.properties;
  if ((p._flags & AMQP_BASIC_TIMESTAMP_FLAG) != 0) {
    d.enqueued = std::chrono::system_clock::time_point(
        std::chrono::seconds(static_cast<int64_t>(p.timestamp)));
  }
  return d;
}

amqp_table_entry_t Header(const char* key, std::string_view value) {
  amqp_table_entry_t e;
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_UTF8;
  e.value.value.bytes = Bytes(value);
  return e;
}

}  // namespace

RabbitMqQueue::RabbitMqQueue(RabbitMqConfig config) : config_(std::move(config)) {
  if (config_.dead_letter_queue.empty()) config_.dead_letter_queue = config_.queue + ".dead";
  config_.prefetch = std::clamp(config_.prefetch, 1, 65'535);
}

RabbitMqQueue::~RabbitMqQueue() = default;

Result<std::unique_ptr<RabbitMqQueue>> RabbitMqQueue::Open(RabbitMqConfig config) {
  std::unique_ptr<RabbitMqQueue> q(new RabbitMqQueue(std::move(config)));
  if (auto s = q->Connect(); !s.ok()) return s.error();
  return q;
}

std::string RabbitMqQueue::Describe() const {
  return "rabbitmq queue " + config_.queue + " on " + config_.url.Endpoint();
}

milliseconds RabbitMqQueue::KeepAlivePeriod() const {
  return kKeepAlivePeriod;
}

Status RabbitMqQueue::Connect() {
  auto opened = AmqpConnection::Open(config_.url, config_.rpc_timeout);
  if (!opened.ok()) return opened.error();
  AmqpConnection& c = **opened;
  amqp_connection_state_t st = c.state();
  const std::string& q = config_.queue;
  amqp_queue_declare(st, kAmqpChannel, Bytes(q), 1, 0, 0, 0, amqp_empty_table);
  if (auto s = c.CheckRpc("checking the task queue '" + q + "'"); !s.ok()) {
    if (s.error().code != ErrorCode::kNotFound) return s.error();
    return MakeError(ErrorCode::kNotFound,
                     c.where() + ": the task queue '" + q +
                         "' does not exist (the agent never creates it: declare it where the "
                         "producers publish)");
  }
  const std::string& dead = config_.dead_letter_queue;
  amqp_queue_declare(st, kAmqpChannel, Bytes(dead), 0, 1, 0, 0, amqp_empty_table);
  if (auto s = c.CheckRpc("declaring the dead-letter queue '" + dead + "' (durable)"); !s.ok()) {
    return s.error();
  }
  amqp_basic_qos(st, kAmqpChannel, 0, static_cast<uint16_t>(config_.prefetch), 0);
  if (auto s = c.CheckRpc("setting the prefetch (basic.qos)"); !s.ok()) return s.error();
  amqp_confirm_select(st, kAmqpChannel);
  if (auto s = c.CheckRpc("enabling publisher confirms"); !s.ok()) return s.error();
  conn_ = std::move(*opened);
  tags_.NewConnection();
  buffered_.clear();
  published_ = 0;
  confirm_.reset();
  consumer_tag_.clear();
  last_receive_ = Clock::now();
  return Consume();
}

Status RabbitMqQueue::Consume() {
  amqp_connection_state_t st = conn_->state();
  auto* ok = amqp_basic_consume(st, kAmqpChannel, Bytes(config_.queue), amqp_empty_bytes, 0, 0, 0,
                                amqp_empty_table);
  if (auto s = conn_->CheckRpc("consuming '" + config_.queue + "'"); !s.ok())
    return Drop(s.error());
  consumer_tag_.assign(static_cast<const char*>(ok->consumer_tag.bytes), ok->consumer_tag.len);
  return Ok{};
}

Status RabbitMqQueue::Pause() {
  amqp_basic_cancel(conn_->state(), kAmqpChannel, Bytes(consumer_tag_));
  if (auto s = conn_->CheckRpc("pausing the consumer (basic.cancel)"); !s.ok()) {
    return Drop(s.error());
  }
  consumer_tag_.clear();
  // What was sent before the cancel-ok has been read by now (or is queued
  // in rabbitmq-c): take it in, then give all of it back.
  for (;;) {
    auto got = Pump(milliseconds(0));
    if (!got.ok()) return got.error();
    if (!*got) break;
  }
  std::vector<Delivery> back(buffered_.begin(), buffered_.end());
  buffered_.clear();
  return Settle(back, false);
}

Error RabbitMqQueue::Drop(Error why) {
  conn_.reset();
  buffered_.clear();
  tags_.NewConnection();
  consumer_tag_.clear();
  // The first attempt at once: a broken connection is usually one broker
  // restart or network blip away from working again.
  backoff_ = milliseconds(0);
  next_attempt_ = Clock::now();
  return why;
}

Status RabbitMqQueue::Reconnect(milliseconds wait) {
  if (conn_) return Ok{};
  if (Clock::now() < next_attempt_) {
    std::this_thread::sleep_until(std::min(next_attempt_, Clock::now() + wait));
    if (Clock::now() < next_attempt_) return Ok{};
  }
  if (auto s = Connect(); !s.ok()) {
    backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(2 * backoff_, config_.max_backoff);
    next_attempt_ = Clock::now() + backoff_;
    return s.error();
  }
  backoff_ = milliseconds(0);
  return Ok{};
}

Status RabbitMqQueue::Connected() const {
  if (conn_) return Ok{};
  return MakeError(ErrorCode::kUnavailable,
                   Describe() +
                       ": not connected (the connection broke; the broker requeued what was in "
                       "work, and the next receive reconnects)");
}

Result<bool> RabbitMqQueue::Pump(milliseconds wait) {
  amqp_connection_state_t st = conn_->state();
  // Recycles the decoding memory of frames handled already; keeps any that
  // rabbitmq-c queued.
  amqp_maybe_release_buffers(st);
  const timeval tv = ToTimeval(wait);
  amqp_envelope_t env;
  const amqp_rpc_reply_t r = amqp_consume_message(st, &env, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) {
    buffered_.push_back(FromEnvelope(env, tags_.Issue(env.delivery_tag)));
    amqp_destroy_envelope(&env);
    return true;
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
    return false;
  }
  if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION ||
      r.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
    return Drop(conn_->Check(r, "receiving").error());
  }
  // Not a delivery: rabbitmq-c put the frame back for us to read.
  amqp_frame_t frame;
  const timeval now{0, 0};
  if (auto s = conn_->CheckStatus(amqp_simple_wait_frame_noblock(st, &frame, &now), "reading");
      !s.ok()) {
    return Drop(s.error());
  }
  if (auto s = HandleFrame(frame); !s.ok()) return Drop(s.error());
  return true;
}

Status RabbitMqQueue::HandleFrame(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return Ok{};
  const amqp_method_t& m = frame.payload.method;
  switch (m.id) {
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(m.decoded);
      if (ack->delivery_tag == published_ || (ack->multiple && ack->delivery_tag >= published_)) {
        confirm_ = true;
      }
      return Ok{};
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(m.decoded);
      if (nack->delivery_tag == published_ ||
          (nack->multiple && nack->delivery_tag >= published_)) {
        confirm_ = false;
      }
      return Ok{};
    }
    case AMQP_BASIC_RETURN_METHOD: {
      // Its content follows; read it so that it is not taken for anything else.
      amqp_message_t returned;
      amqp_rpc_reply_t r = amqp_read_message(conn_->state(), frame.channel, &returned, 0);
      if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return conn_->Check(r, "reading a returned message");
      amqp_destroy_message(&returned);
      returned_ = true;
      return Ok{};
    }
    case AMQP_BASIC_CANCEL_METHOD:
      return MakeError(ErrorCode::kNotFound, Describe() +
                                                 ": the broker cancelled the consumer (the queue "
                                                 "was deleted?)");
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD:
      return conn_->Closed(m, "receiving");
    default:
      return Ok{};
  }
}

Result<std::vector<Delivery>> RabbitMqQueue::Receive(int max, milliseconds wait) {
  std::vector<Delivery> out;
  last_receive_ = Clock::now();
  if (max <= 0) return out;
  if (auto s = Reconnect(wait); !s.ok()) return s.error();
  if (!conn_) return out;  // backing off
  if (consumer_tag_.empty()) {
    if (auto s = Consume(); !s.ok()) return s.error();
  }
  const auto deadline = Clock::now() + wait;
  while (buffered_.empty()) {
    auto got = Pump(Until(deadline));
    if (!got.ok()) return got.error();
    if (!*got) break;
  }
  // More only if already here: the first one is not kept waiting.
  while (buffered_.size() < static_cast<size_t>(max)) {
    auto got = Pump(milliseconds(0));
    if (!got.ok()) return got.error();
    if (!*got) break;
  }
  const size_t n = std::min(buffered_.size(), static_cast<size_t>(max));
  out.assign(std::make_move_iterator(buffered_.begin()),
             std::make_move_iterator(buffered_.begin() + static_cast<ptrdiff_t>(n)));
  buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<ptrdiff_t>(n));
  last_receive_ = Clock::now();
  return out;
}

Status RabbitMqQueue::Settle(std::span<const Delivery> deliveries, bool ack) {
  if (deliveries.empty()) return Ok{};
  if (auto s = Connected(); !s.ok()) return s;
  std::optional<Error> first;
  size_t failed = 0;
  for (const auto& d : deliveries) {
    auto tag = tags_.Resolve(d.receipt);
    if (!tag.ok()) {
      if (!first) first = tag.error();
      ++failed;
      continue;
    }
    const int st = ack ? amqp_basic_ack(conn_->state(), kAmqpChannel, *tag, 0)
                       : amqp_basic_nack(conn_->state(), kAmqpChannel, *tag, 0, 1);
    if (auto s = conn_->CheckStatus(st, ack ? "acknowledging" : "returning (basic.nack)");
        !s.ok()) {
      return Drop(s.error());
    }
    tags_.Settle(*tag);
  }
  if (!first) return Ok{};
  return MakeError(first->code, Describe() + ": " + std::to_string(failed) + " of " +
                                    std::to_string(deliveries.size()) +
                                    " messages not settled: " + first->message);
}

Status RabbitMqQueue::Done(std::span<const Delivery> deliveries) {
  return Settle(deliveries, true);
}

Status RabbitMqQueue::Return(std::span<const Delivery> deliveries) {
  return Settle(deliveries, false);
}

Status RabbitMqQueue::DeadLetter(const Delivery& d, std::string_view reason) {
  if (auto s = Connected(); !s.ok()) return s;
  auto tag = tags_.Resolve(d.receipt);
  if (!tag.ok()) return MakeError(tag.error().code, Describe() + ": " + tag.error().message);
  const std::string why = HeaderText(reason, kReasonMax);
  amqp_table_entry_t headers[] = {Header("x-agentfleet-reason", why),
                                  Header("x-agentfleet-source", config_.queue)};
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  props.headers = amqp_table_t{2, headers};
  confirm_.reset();
  returned_ = false;
  ++published_;
  // mandatory: a dead-letter queue deleted since is reported (basic.return),
  // not a copy silently dropped.
  const int st = amqp_basic_publish(conn_->state(), kAmqpChannel, amqp_empty_bytes,
                                    Bytes(config_.dead_letter_queue), 1, 0, &props, Bytes(d.body));
  if (auto s = conn_->CheckStatus(st, "publishing to the dead-letter queue"); !s.ok()) {
    return Drop(s.error());
  }
  const auto deadline = Clock::now() + config_.rpc_timeout;
  while (!confirm_) {
    if (Clock::now() >= deadline) {
      // Whether the copy is stored is unknown: dropping the connection puts
      // the original back, a duplicate copy at worst.
      return Drop(MakeError(ErrorCode::kTimeout,
                            Describe() + ": no confirm of the dead-letter copy within " +
                                std::to_string(config_.rpc_timeout.count()) + " ms"));
    }
    auto got = Pump(Until(deadline));
    if (!got.ok()) return got.error();
  }
  if (!*confirm_ || returned_) {
    // Delivered again, as after any dead-letter that failed, rather than
    // held here for good.
    (void)Settle(std::span<const Delivery>(&d, 1), false);
    return MakeError(
        ErrorCode::kUnavailable,
        Describe() + ": " +
            (returned_ ? "the dead-letter queue '" + config_.dead_letter_queue +
                             "' did not take the copy (deleted?)"
                       : std::string("the broker refused the dead-letter copy (basic.nack)")) +
            "; the task goes back to the queue");
  }
  const int acked = amqp_basic_ack(conn_->state(), kAmqpChannel, *tag, 0);
  if (auto s = conn_->CheckStatus(acked, "acknowledging a dead-lettered message"); !s.ok()) {
    return Drop(s.error());
  }
  tags_.Settle(*tag);
  return Ok{};
}

Status RabbitMqQueue::KeepAlive(std::span<const Delivery>) {
  // Disconnected: nothing to keep; the broker requeued it all already.
  if (!conn_) return Ok{};
  for (int i = 0; i < kMaxFramesPerKeepAlive; ++i) {
    auto got = Pump(milliseconds(0));
    if (!got.ok()) return got.error();
    if (!*got) break;
  }
  // An agent that holds no shard (or prices a long batch) does not receive:
  // what the broker pushed ahead must not wait on it.
  if (!consumer_tag_.empty() && Clock::now() - last_receive_ > config_.idle_pause) return Pause();
  return Ok{};
}

}  // namespace agentfleet::agent::queues
