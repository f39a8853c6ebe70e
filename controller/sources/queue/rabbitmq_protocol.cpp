#include "controller/sources/queue/rabbitmq_protocol.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "controller/base/http_status.h"
#include "controller/sources/queue/excerpt.h"
#include "controller/sources/queue/url.h"

namespace agentfleet::sources::queue::rabbitmq {
namespace {

using nlohmann::json;

}  // namespace

std::string QueuePath(std::string_view prefix, std::string_view vhost, std::string_view queue) {
  std::string base(prefix);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/queues/" + PercentEncode(vhost) + "/" + PercentEncode(queue);
}

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  const std::string plain = std::string(user) + ":" + std::string(password);
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

Error ErrorFromResponse(const HttpResponse& response, std::string_view what) {
  std::string detail;
  json j = json::parse(response.body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    for (const char* key : {"error", "reason"}) {
      if (j.contains(key) && j[key].is_string()) {
        detail += (detail.empty() ? "" : ": ") + j[key].get<std::string>();
      }
    }
  } else {
    detail = response.body;
  }
  const int s = response.status;
  ErrorCode code = ErrorCodeForHttpStatus(s);
  if (s == 401) {
    // Signed in, but without the right: the reasons RabbitMQ gives for that.
    for (const char* reason : {"not authorised to access", "Not management user",
                               "Not administrator user", "Not monitor user"}) {
      if (detail.find(reason) != std::string::npos) code = ErrorCode::kForbidden;
    }
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(s);
  if (s == 404) text += " (no such queue or vhost)";
  if (!detail.empty()) text += ": " + Excerpt(detail);
  return MakeError(code, std::move(text));
}

Result<int64_t> DepthFromResponse(const HttpResponse& response, bool include_unacked,
                                  std::string_view what) {
  if (response.status != 200) return ErrorFromResponse(response, what);
  json j = json::parse(response.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(
        ErrorCode::kInternal,
        std::string(what) + ": the answer is not a JSON object: " + Excerpt(response.body));
  }
  int64_t total = 0;
  for (const char* field : {"messages_ready", "messages_unacknowledged"}) {
    if (!include_unacked && std::string_view(field) == "messages_unacknowledged") continue;
    if (!j.contains(field)) {
      return MakeError(ErrorCode::kUnavailable,
                       std::string(what) + ": " + field + " not reported yet (statistics pending)");
    }
    if (!j[field].is_number_integer() || j[field].get<int64_t>() < 0) {
      return MakeError(ErrorCode::kInternal, std::string(what) + ": " + field + " is not a count");
    }
    if (__builtin_add_overflow(total, j[field].get<int64_t>(), &total)) {
      return MakeError(ErrorCode::kInternal,
                       std::string(what) + ": the counters' sum overflows a 64-bit count");
    }
  }
  return total;
}

}  // namespace agentfleet::sources::queue::rabbitmq
