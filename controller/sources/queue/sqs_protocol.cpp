#include "controller/sources/queue/sqs_protocol.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "controller/base/http_status.h"
#include "controller/sources/queue/excerpt.h"
#include "controller/sources/queue/sigv4.h"

namespace agentfleet::sources::queue::sqs {
namespace {

using nlohmann::json;

bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

bool ContainsAny(std::string_view hay, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (Contains(hay, n)) return true;
  }
  return false;
}

std::optional<json> ParseJson(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

std::vector<std::string> AttributeNames(bool in_flight, bool delayed) {
  std::vector<std::string> names{std::string(kVisible)};
  if (in_flight) names.emplace_back(kNotVisible);
  if (delayed) names.emplace_back(kDelayed);
  return names;
}

QueueLocation ResolveQueueLocation(const Url* queue_url, std::string region, std::string endpoint) {
  if (region.empty() && queue_url) region = RegionFromHost(queue_url->host);
  if (endpoint.empty()) {
    endpoint = queue_url ? queue_url->Origin() : "https://sqs." + region + ".amazonaws.com";
  }
  return {std::move(region), std::move(endpoint)};
}

std::string RegionFromHost(std::string_view host) {
  constexpr std::string_view kAws = ".amazonaws.com";
  if (host.size() <= kAws.size() || host.substr(host.size() - kAws.size()) != kAws) return "";
  std::string_view head = host.substr(0, host.size() - kAws.size());
  if (head.substr(0, 4) == "sqs.") {
    std::string_view region = head.substr(4);
    return region.find('.') == std::string_view::npos ? std::string(region) : "";
  }
  constexpr std::string_view kLegacy = ".queue";
  if (head.size() > kLegacy.size() && head.substr(head.size() - kLegacy.size()) == kLegacy) {
    std::string_view region = head.substr(0, head.size() - kLegacy.size());
    return region.find('.') == std::string_view::npos ? std::string(region) : "";
  }
  return "";
}

HttpRequest SignedCall(const Url& endpoint, std::string_view action, std::string body,
                       const AwsCredentials& credentials, const std::string& region,
                       const std::string& amz_date) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint;
  req.url.path = "/";
  req.url.query.clear();
  req.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "AmazonSQS." + std::string(action)},
                 {"X-Amz-Date", amz_date}};
  if (!credentials.session_token.empty()) {
    req.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  req.body = std::move(body);

  SigV4Request to_sign;
  to_sign.method = req.method;
  to_sign.path = req.url.path;
  to_sign.headers = req.headers;
  to_sign.headers.emplace_back("Host", req.url.HostHeader());
  to_sign.payload = req.body;
  const auto sig = SignV4(to_sign, credentials, SigV4Scope{amz_date, region, "sqs"});
  req.headers.emplace_back("Authorization", sig.authorization);
  return req;
}

std::string GetQueueAttributesBody(std::string_view queue_url,
                                   const std::vector<std::string>& attributes) {
  return json{{"QueueUrl", queue_url}, {"AttributeNames", attributes}}.dump();
}

std::string GetQueueUrlBody(std::string_view queue_name, std::string_view owner_account_id) {
  json j{{"QueueName", queue_name}};
  if (!owner_account_id.empty()) j["QueueOwnerAWSAccountId"] = owner_account_id;
  return j.dump();
}

Error ErrorFromResponse(const HttpResponse& response, std::string_view what) {
  std::string type = response.Header("x-amzn-query-error");
  std::string message;
  if (auto j = ParseJson(response.body)) {
    if (j->contains("__type") && (*j)["__type"].is_string()) {
      type = (*j)["__type"].get<std::string>() + (type.empty() ? "" : " " + type);
    }
    for (const char* key : {"message", "Message"}) {
      if (j->contains(key) && (*j)[key].is_string()) message = (*j)[key].get<std::string>();
    }
  } else {
    message = response.body;
  }
  ErrorCode code;
  const int s = response.status;
  if (ContainsAny(type, {"QueueDoesNotExist", "NonExistentQueue"})) {
    code = ErrorCode::kNotFound;
  } else if (ContainsAny(type, {"InvalidClientTokenId", "UnrecognizedClient",
                                "SignatureDoesNotMatch", "MissingAuthenticationToken",
                                "IncompleteSignature", "ExpiredToken", "InvalidSecurity"})) {
    code = ErrorCode::kUnauthorized;
  } else if (ContainsAny(type, {"AccessDenied"})) {
    code = ErrorCode::kForbidden;
  } else if (ContainsAny(type, {"Throttl", "RequestThrottled", "OverLimit"})) {
    code = ErrorCode::kTooManyRequests;
  } else {
    code = ErrorCodeForHttpStatus(s);
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(s);
  if (!type.empty()) text += " " + Excerpt(type, 120);
  if (!message.empty()) text += ": " + Excerpt(message);
  return MakeError(code, std::move(text));
}

Result<int64_t> DepthFromResponse(const HttpResponse& response,
                                  const std::vector<std::string>& attributes,
                                  std::string_view what) {
  if (response.status != 200) return ErrorFromResponse(response, what);
  auto j = ParseJson(response.body);
  if (!j || !j->contains("Attributes") || !(*j)["Attributes"].is_object()) {
    return MakeError(ErrorCode::kInternal,
                     std::string(what) + ": GetQueueAttributes answer has no Attributes object: " +
                         Excerpt(response.body));
  }
  const json& attrs = (*j)["Attributes"];
  int64_t total = 0;
  for (const auto& name : attributes) {
    auto it = attrs.find(name);
    int64_t value = -1;
    if (it != attrs.end() && it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
      if (ec != std::errc() || end != s.data() + s.size()) value = -1;
    } else if (it != attrs.end() && it->is_number_integer()) {
      value = it->get<int64_t>();
    }
    if (value < 0) {
      return MakeError(ErrorCode::kInternal,
                       std::string(what) + ": attribute " + name + " is missing or not a count");
    }
    if (__builtin_add_overflow(total, value, &total)) {  // each valid, the sum past 64 bits
      return MakeError(ErrorCode::kInternal,
                       std::string(what) + ": the attributes' sum overflows a 64-bit count");
    }
  }
  return total;
}

Result<std::string> QueueUrlFromResponse(const HttpResponse& response, std::string_view what) {
  if (response.status != 200) return ErrorFromResponse(response, what);
  auto j = ParseJson(response.body);
  if (!j || !j->contains("QueueUrl") || !(*j)["QueueUrl"].is_string()) {
    return MakeError(
        ErrorCode::kInternal,
        std::string(what) + ": GetQueueUrl answer has no QueueUrl: " + Excerpt(response.body));
  }
  return (*j)["QueueUrl"].get<std::string>();
}

}  // namespace agentfleet::sources::queue::sqs
