#include "examples/agent/queues/sqs_messages.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "controller/sources/queue/sqs_protocol.h"

namespace agentfleet::agent::queues::sqs {
namespace {

using nlohmann::json;
using sources::queue::HttpResponse;

constexpr std::string_view kSentTimestamp = "SentTimestamp";
constexpr int kMaxVisibilitySeconds = 12 * 60 * 60;

int CeilSeconds(std::chrono::milliseconds d) {
  const int64_t ms = std::max<int64_t>(0, d.count());
  const int64_t s = ms / 1000 + (ms % 1000 != 0 ? 1 : 0);
  return static_cast<int>(std::min<int64_t>(s, std::numeric_limits<int>::max()));
}

Error Unexpected(std::string_view what, std::string_view action, std::string_view problem) {
  return MakeError(ErrorCode::kInternal, std::string(what) + ": " + std::string(action) +
                                             " answer " + std::string(problem));
}

// Dumped with replacement: a body that is not UTF-8 must not throw here.
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Without(std::string_view s, std::string_view suffix) {
  while (s.size() > 1 && s.ends_with(suffix)) s.remove_suffix(suffix.size());
  return std::string(s);
}

template <typename Entry>
std::vector<std::string> ChunkBodies(std::string_view queue_url,
                                     std::span<const Delivery> deliveries, Entry entry) {
  std::vector<std::string> out;
  for (size_t from = 0; from < deliveries.size(); from += kMaxBatch) {
    json entries = json::array();
    const size_t n = std::min(kMaxBatch, deliveries.size() - from);
    for (size_t i = 0; i < n; ++i) {
      json e{{"Id", std::to_string(i)}, {"ReceiptHandle", deliveries[from + i].receipt}};
      entry(e);
      entries.push_back(std::move(e));
    }
    out.push_back(Dump(json{{"QueueUrl", queue_url}, {"Entries", std::move(entries)}}));
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> SentAt(const json& message) {
  auto attrs = message.find("Attributes");
  if (attrs == message.end() || !attrs->is_object()) return std::nullopt;
  auto it = attrs->find(kSentTimestamp);
  if (it == attrs->end() || !it->is_string()) return std::nullopt;
  const auto& s = it->get_ref<const std::string&>();
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec != std::errc() || end != s.data() + s.size() || ms < 0) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// The code point of the UTF-8 sequence at `s[0]` and its length; length 0
// when the sequence is broken, overlong or a surrogate.
std::pair<char32_t, size_t> DecodeUtf8(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t len;
  char32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07;
  } else {
    return {0, 0};
  }
  if (s.size() < len) return {0, 0};
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (b & 0x3F);
  }
  constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, len};
}

// What SQS accepts in a message or attribute value.
bool Allowed(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

}  // namespace

Result<QueueLocation> LocateQueue(std::string_view queue_url, std::string_view queue_name) {
  auto url = sources::queue::ParseUrl(queue_url);
  if (!url.ok()) {
    return MakeError(ErrorCode::kInvalidArgument, "--queue-url: " + url.error().message);
  }
  QueueLocation out;
  out.endpoint = *url;
  out.endpoint.path = "/";
  out.endpoint.query.clear();
  const std::string path = Without(url->path, "/");
  if (path == "/") {
    if (queue_name.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--queue-url " + url->Origin() +
                           " is an endpoint, not a queue URL: set --queue-name too");
    }
    out.name = std::string(queue_name);
    return out;
  }
  out.name = path.substr(path.rfind('/') + 1);
  if (!queue_name.empty() && queue_name != out.name) {
    return MakeError(ErrorCode::kInvalidArgument, "--queue-name " + std::string(queue_name) +
                                                      " is not the queue of --queue-url (" +
                                                      out.name + ")");
  }
  // As given, but for what a queue URL has no use for.
  std::string_view given = queue_url.substr(0, queue_url.find_first_of("?#"));
  out.queue_url = Without(given, "/");
  return out;
}

std::string DeadLetterName(std::string_view flag, std::string_view queue_name) {
  return flag.empty() ? std::string(queue_name) + "-dead" : std::string(flag);
}

int WaitTimeSeconds(std::chrono::milliseconds wait) {
  return std::clamp(CeilSeconds(wait), 1, kMaxWaitSeconds);
}

int VisibilitySeconds(std::chrono::milliseconds visibility) {
  return std::clamp(CeilSeconds(visibility), 1, kMaxVisibilitySeconds);
}

std::string ReceiveMessageBody(std::string_view queue_url, int max, int wait_seconds,
                               int visibility_seconds) {
  // Both names: MessageSystemAttributeNames is the current one, servers that
  // predate it know only AttributeNames.
  return Dump(json{{"QueueUrl", queue_url},
                   {"MaxNumberOfMessages", std::clamp<int>(max, 1, kMaxBatch)},
                   {"WaitTimeSeconds", wait_seconds},
                   {"VisibilityTimeout", visibility_seconds},
                   {"MessageSystemAttributeNames", {kSentTimestamp}},
                   {"AttributeNames", {kSentTimestamp}}});
}

Result<std::vector<Delivery>> DeliveriesFromResponse(const HttpResponse& response,
                                                     std::string_view what) {
  if (response.status != 200) {
    return sources::queue::sqs::ErrorFromResponse(response, what);
  }
  const json j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Unexpected(what, "ReceiveMessage", "is not a JSON object");
  }
  std::vector<Delivery> out;
  auto messages = j.find("Messages");
  if (messages == j.end() || messages->is_null()) return out;
  if (!messages->is_array()) return Unexpected(what, "ReceiveMessage", "has no Messages array");
  for (const auto& m : *messages) {
    auto body = m.is_object() ? m.find("Body") : m.end();
    auto receipt = m.is_object() ? m.find("ReceiptHandle") : m.end();
    if (body == m.end() || !body->is_string() || receipt == m.end() || !receipt->is_string()) {
      return Unexpected(what, "ReceiveMessage",
                        "has a message without a Body or a ReceiptHandle string");
    }
    out.push_back({body->get<std::string>(), receipt->get<std::string>(), SentAt(m)});
  }
  return out;
}

std::vector<std::string> DeleteMessageBatchBodies(std::string_view queue_url,
                                                  std::span<const Delivery> deliveries) {
  return ChunkBodies(queue_url, deliveries, [](json&) {});
}

std::vector<std::string> ChangeVisibilityBatchBodies(std::string_view queue_url,
                                                     std::span<const Delivery> deliveries,
                                                     int visibility_seconds) {
  return ChunkBodies(queue_url, deliveries,
                     [&](json& e) { e["VisibilityTimeout"] = visibility_seconds; });
}

Result<BatchFailures> FailuresFromResponse(const HttpResponse& response, std::string_view what) {
  if (response.status != 200) {
    return sources::queue::sqs::ErrorFromResponse(response, what);
  }
  const json j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Unexpected(what, "batch", "is not a JSON object");
  BatchFailures out;
  auto failed = j.find("Failed");
  if (failed == j.end() || failed->is_null()) return out;
  if (!failed->is_array()) return Unexpected(what, "batch", "has a Failed that is no array");
  std::set<std::string> codes;
  for (const auto& f : *failed) {
    ++out.failed;
    auto code = f.is_object() ? f.find("Code") : f.end();
    if (code != f.end() && code->is_string())
      codes.insert(AttributeText(code->get<std::string>(), 80));
  }
  out.codes.assign(codes.begin(), codes.end());
  return out;
}

std::string SendDeadLetterBody(std::string_view dead_letter_url, std::string_view body,
                               std::string_view reason, std::string_view source) {
  auto attribute = [](std::string_view value) {
    return json{{"DataType", "String"}, {"StringValue", AttributeText(value, kMaxReason)}};
  };
  return Dump(json{{"QueueUrl", dead_letter_url},
                   {"MessageBody", body},
                   {"MessageAttributes",
                    {{"reason", attribute(reason.empty() ? "unknown" : reason)},
                     {"source", attribute(source)}}}});
}

std::string DeleteMessageBody(std::string_view queue_url, std::string_view receipt) {
  return Dump(json{{"QueueUrl", queue_url}, {"ReceiptHandle", receipt}});
}

std::string AttributeText(std::string_view text, size_t max) {
  std::string out;
  while (!text.empty()) {
    auto [cp, len] = DecodeUtf8(text);
    const bool ok = len > 0 && Allowed(cp);
    if (!ok) len = 1;  // one '?' per refused byte
    if (out.size() + len > max) break;
    if (ok) {
      out.append(text.substr(0, len));
    } else {
      out.push_back('?');
    }
    text.remove_prefix(len);
  }
  return out;
}

Status CheckResponse(const HttpResponse& response, std::string_view what) {
  if (response.status == 200) return Ok{};
  return sources::queue::sqs::ErrorFromResponse(response, what);
}

}  // namespace agentfleet::agent::queues::sqs
