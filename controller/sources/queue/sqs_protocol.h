#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/source_config.h"

// The pure half of the SQS source: requests built and answers read without I/O.
namespace agentfleet::sources::queue::sqs {

inline constexpr std::string_view kVisible = "ApproximateNumberOfMessages";
inline constexpr std::string_view kNotVisible = "ApproximateNumberOfMessagesNotVisible";
inline constexpr std::string_view kDelayed = "ApproximateNumberOfMessagesDelayed";

std::vector<std::string> AttributeNames(bool in_flight, bool delayed);

// The region in an sqs.<region>.amazonaws.com (or <region>.queue.amazonaws.com)
// host, else "".
std::string RegionFromHost(std::string_view host);

// Where a queue's calls go and the region they are signed for, as the
// operator's source and the agents it configures resolve them: `region`,
// else the one in the queue URL's host ("" if neither says); `endpoint`,
// else the queue URL's origin, else the region's endpoint.
struct QueueLocation {
  std::string region;
  std::string endpoint;
};
QueueLocation ResolveQueueLocation(const Url* queue_url, std::string region, std::string endpoint);

// A JSON-protocol call (X-Amz-Target: AmazonSQS.<action>) to `endpoint`,
// signed for `region` at `amz_date`.
HttpRequest SignedCall(const Url& endpoint, std::string_view action, std::string body,
                       const AwsCredentials& credentials, const std::string& region,
                       const std::string& amz_date);

std::string GetQueueAttributesBody(std::string_view queue_url,
                                   const std::vector<std::string>& attributes);
std::string GetQueueUrlBody(std::string_view queue_name, std::string_view owner_account_id);

// The error an unsuccessful answer stands for; `what` names the queue.
Error ErrorFromResponse(const HttpResponse& response, std::string_view what);

// Sums the named attributes of a GetQueueAttributes answer.
Result<int64_t> DepthFromResponse(const HttpResponse& response,
                                  const std::vector<std::string>& attributes,
                                  std::string_view what);
Result<std::string> QueueUrlFromResponse(const HttpResponse& response, std::string_view what);

}  // namespace agentfleet::sources::queue::sqs
