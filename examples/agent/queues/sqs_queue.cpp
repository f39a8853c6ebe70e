#include "examples/agent/queues/sqs_queue.h"

#include <algorithm>
#include <optional>
#include <set>

#include "controller/base/redact.h"
#include "controller/sources/queue/sigv4.h"
#include "controller/sources/queue/sqs_protocol.h"

namespace agentfleet::agent::queues {
namespace {

namespace protocol = sources::queue::sqs;
using sources::queue::HttpResponse;

// The signature of a signed request, from its Authorization header.
std::string SignatureOf(const sources::queue::HttpRequest& request) {
  constexpr std::string_view kField = "Signature=";
  for (const auto& [name, value] : request.headers) {
    if (name != "Authorization") continue;
    const size_t at = value.find(kField);
    if (at != std::string::npos) return value.substr(at + kField.size());
  }
  return "";
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

SqsQueue::SqsQueue(SqsQueueConfig config, sqs::QueueLocation location)
    : config_(std::move(config)), location_(std::move(location)) {}

Result<std::unique_ptr<SqsQueue>> SqsQueue::Open(SqsQueueConfig config) {
  auto location = sqs::LocateQueue(config.queue_url, config.queue_name);
  if (!location.ok()) return location.error();
  if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sqs: an access key id and a secret access key are required");
  }
  if (config.region.empty()) config.region = protocol::RegionFromHost(location->endpoint.host);
  if (config.region.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sqs: the region is required (it is not in the queue's host)");
  }
  const std::string dead = sqs::DeadLetterName(config.dead_letter_queue, location->name);
  if (dead == location->name) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the dead-letter queue must not be the queue itself (" + dead + ")");
  }
  std::unique_ptr<SqsQueue> q(new SqsQueue(std::move(config), std::move(*location)));
  if (q->location_.queue_url.empty()) {
    auto url = q->ResolveUrl(q->location_.name);
    if (!url.ok()) return url.error();
    q->queue_url_ = *url;
  } else {
    // Given by URL: asked about once, so that a wrong one fails here.
    q->queue_url_ = q->location_.queue_url;
    auto answer =
        q->Call("GetQueueAttributes", protocol::GetQueueAttributesBody(q->queue_url_, {"QueueArn"}),
                q->config_.timeout);
    if (!answer.ok()) return answer.error();
    if (auto s = sqs::CheckResponse(*answer, q->Describe()); !s.ok()) return s.error();
  }
  auto dead_url = q->ResolveUrl(dead);
  if (!dead_url.ok()) {
    if (dead_url.error().code != ErrorCode::kNotFound) return dead_url.error();
    return MakeError(ErrorCode::kNotFound, "dead-letter queue " + dead +
                                               " does not exist: create it, or set "
                                               "--dead-letter-queue");
  }
  q->dead_letter_url_ = *dead_url;
  return q;
}

Result<HttpResponse> SqsQueue::Call(std::string_view action, std::string body,
                                    std::chrono::milliseconds timeout,
                                    std::span<const Delivery> receipts) {
  const auto request = protocol::SignedCall(
      location_.endpoint, action, std::move(body), config_.credentials, config_.region,
      sources::queue::AmzDate(std::chrono::system_clock::now()));
  auto response = sources::queue::HttpFetch(request, config_.tls, timeout);
  // An answer that is no error is data (bodies, receipts) and quoted nowhere;
  // a refusal may echo the request (SignatureDoesNotMatch quotes the
  // canonical request with its token).
  if (!response.ok() || response->status == 200) return response;
  Redactor redactor({config_.credentials.access_key_id, config_.credentials.secret_access_key,
                     config_.credentials.session_token, SignatureOf(request)});
  for (const auto& d : receipts) redactor.Add(d.receipt);
  response->body = redactor.Redact(response->body);
  for (auto& [name, value] : response->headers) value = redactor.Redact(value);
  return response;
}

Result<std::string> SqsQueue::ResolveUrl(const std::string& name) {
  auto answer = Call("GetQueueUrl", protocol::GetQueueUrlBody(name, ""), config_.timeout);
  if (!answer.ok()) return answer.error();
  return protocol::QueueUrlFromResponse(*answer, "sqs queue " + name);
}

std::string SqsQueue::Describe() const {
  return "sqs queue " + location_.name;
}

std::chrono::milliseconds SqsQueue::KeepAlivePeriod() const {
  return std::max(std::chrono::milliseconds(1'000), config_.visibility_timeout / 3);
}

Result<std::vector<Delivery>> SqsQueue::Receive(int max, std::chrono::milliseconds wait) {
  const int wait_seconds = sqs::WaitTimeSeconds(wait);
  auto answer = Call("ReceiveMessage",
                     sqs::ReceiveMessageBody(queue_url_, max, wait_seconds,
                                             sqs::VisibilitySeconds(config_.visibility_timeout)),
                     config_.timeout + std::chrono::seconds(wait_seconds));
  if (!answer.ok()) return answer.error();
  return sqs::DeliveriesFromResponse(*answer, Describe());
}

Status SqsQueue::Batch(std::string_view action, std::span<const Delivery> deliveries,
                       std::vector<std::string> bodies) {
  const std::string what = Describe() + ": " + std::string(action);
  size_t failed = 0;
  std::set<std::string> codes;
  std::optional<Error> first;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const auto chunk = deliveries.subspan(
        i * sqs::kMaxBatch, std::min(sqs::kMaxBatch, deliveries.size() - i * sqs::kMaxBatch));
    auto answer = Call(action, std::move(bodies[i]), config_.timeout, chunk);
    auto failures = answer.ok() ? sqs::FailuresFromResponse(*answer, what)
                                : Result<sqs::BatchFailures>(answer.error());
    if (!failures.ok()) {
      failed += chunk.size();
      if (!first) first = failures.error();
      continue;
    }
    failed += static_cast<size_t>(failures->failed);
    codes.insert(failures->codes.begin(), failures->codes.end());
  }
  if (failed == 0) return Ok{};
  std::string count =
      std::to_string(failed) + " of " + std::to_string(deliveries.size()) + " messages failed";
  if (first) return MakeError(first->code, first->message + " (" + count + ")");
  if (!codes.empty()) count += " (" + Join(codes) + ")";
  return MakeError(ErrorCode::kFailedPrecondition, what + ": " + count);
}

Status SqsQueue::Done(std::span<const Delivery> deliveries) {
  if (deliveries.empty()) return Ok{};
  return Batch("DeleteMessageBatch", deliveries,
               sqs::DeleteMessageBatchBodies(queue_url_, deliveries));
}

Status SqsQueue::Return(std::span<const Delivery> deliveries) {
  if (deliveries.empty()) return Ok{};
  return Batch("ChangeMessageVisibilityBatch", deliveries,
               sqs::ChangeVisibilityBatchBodies(queue_url_, deliveries, 0));
}

Status SqsQueue::KeepAlive(std::span<const Delivery> in_work) {
  if (in_work.empty()) return Ok{};
  return Batch("ChangeMessageVisibilityBatch", in_work,
               sqs::ChangeVisibilityBatchBodies(
                   queue_url_, in_work, sqs::VisibilitySeconds(config_.visibility_timeout)));
}

Status SqsQueue::DeadLetter(const Delivery& delivery, std::string_view reason) {
  auto sent = Call("SendMessage",
                   sqs::SendDeadLetterBody(dead_letter_url_, delivery.body, reason, location_.name),
                   config_.timeout);
  if (!sent.ok()) return sent.error();
  if (auto s = sqs::CheckResponse(*sent, Describe() + ": SendMessage to the dead-letter queue");
      !s.ok()) {
    return s;
  }
  auto deleted = Call("DeleteMessage", sqs::DeleteMessageBody(queue_url_, delivery.receipt),
                      config_.timeout, {&delivery, 1});
  if (!deleted.ok()) return deleted.error();
  return sqs::CheckResponse(*deleted, Describe() + ": DeleteMessage");
}

}  // namespace agentfleet::agent::queues
