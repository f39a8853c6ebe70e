#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "controller/sources/queue/http_fetch.h"

// The pure half of the RabbitMQ source.
namespace agentfleet::sources::queue::rabbitmq {

// The request path for a queue under an endpoint path prefix; vhost and queue
// are percent-encoded whole ("/" becomes %2F).
std::string QueuePath(std::string_view prefix, std::string_view vhost, std::string_view queue);

std::string BasicAuthorization(std::string_view user, std::string_view password);

// messages_ready (+ messages_unacknowledged) from a queue document. A queue
// whose statistics have not been collected yet has no counters: that is
// kUnavailable (retry), never a depth of 0.
Result<int64_t> DepthFromResponse(const HttpResponse& response, bool include_unacked,
                                  std::string_view what);

// The error a non-200 answer stands for. RabbitMQ answers 401 both for bad
// credentials and for a user without rights on the vhost or without the
// management tag; the latter (told apart by the reason) are kForbidden.
Error ErrorFromResponse(const HttpResponse& response, std::string_view what);

}  // namespace agentfleet::sources::queue::rabbitmq
