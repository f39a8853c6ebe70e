#include "examples/agent/queues/redis_list_queue.h"

#include <nlohmann/json.hpp>

namespace agentfleet::agent::queues {
namespace {

using Args = sources::redis::Client::Args;

constexpr std::string_view kProcessing = ":processing:";
constexpr std::string_view kConsumer = ":consumer:";

// KEYS[1] the in-work list, KEYS[2] its consumer's heartbeat, KEYS[3] the
// queue; ARGV[1] "force" skips the check (a consumer's own list). Atomic with
// the check, so a consumer that is alive after all keeps its messages.
const sources::redis::Script& RecoverScript() {
  static const sources::redis::Script script(R"lua(
if ARGV[1] ~= 'force' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = 0
while true do
  local v = redis.call('RPOP', KEYS[1])
  if not v then break end
  redis.call('LPUSH', KEYS[3], v)
  n = n + 1
end
return n
)lua");
  return script;
}

}  // namespace

std::string EscapeGlob(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

RedisListQueue::RedisListQueue(RedisListConfig config,
                               std::unique_ptr<sources::redis::Client> client)
    : config_(std::move(config)),
      client_(std::move(client)),
      processing_(config_.key + std::string(kProcessing) + config_.consumer),
      alive_(config_.key + std::string(kConsumer) + config_.consumer) {
  if (config_.dead_key.empty()) config_.dead_key = config_.key + ":dead";
}

RedisListQueue::~RedisListQueue() {
  // Its in-work list is empty after a clean stop; if not, the next recovery
  // puts it back at once rather than after the TTL.
  (void)client_->Command({"DEL", alive_});
}

std::string RedisListQueue::Describe() const {
  return "redis list " + config_.key;
}

std::chrono::milliseconds RedisListQueue::KeepAlivePeriod() const {
  return std::max(std::chrono::milliseconds(1), config_.heartbeat_ttl / 3);
}

Result<std::vector<Delivery>> RedisListQueue::Receive(int max, std::chrono::milliseconds wait) {
  std::vector<Delivery> out;
  // Nothing is in work between batches, so whatever the in-work list still
  // holds is there because a command failed halfway: put it back first.
  if (unsettled_) {
    auto n = client_->Eval(RecoverScript(), {processing_, alive_, config_.key}, {"force"});
    if (!n.ok()) return n.error();
    unsettled_ = false;
  }
  // BLMOVE's timeout is in seconds, fractions allowed; 0 would block forever.
  const double seconds = std::max(0.001, static_cast<double>(wait.count()) / 1000.0);
  char timeout[32];
  std::snprintf(timeout, sizeof timeout, "%.3f", seconds);
  auto first = client_->Command({"BLMOVE", config_.key, processing_, "LEFT", "RIGHT", timeout});
  if (!first.ok()) return first.error();
  if (first->IsNil()) return out;
  if (!first->IsString()) {
    return MakeError(ErrorCode::kInternal, "BLMOVE answered " + first->DebugString());
  }
  out.push_back({first->str, first->str, std::nullopt});
  if (max <= 1) return out;
  std::vector<Args> more(static_cast<size_t>(max - 1),
                         Args{"LMOVE", config_.key, processing_, "LEFT", "RIGHT"});
  auto replies = client_->Pipeline(more);
  if (!replies.ok()) {
    unsettled_ = true;  // some may have moved: put back before the next receive
    return out;
  }
  for (const auto& r : *replies) {
    if (!r.IsString()) break;  // nil: the list is empty
    out.push_back({r.str, r.str, std::nullopt});
  }
  return out;
}

Status RedisListQueue::Exec(std::vector<Args> commands, const char* what) {
  commands.insert(commands.begin(), Args{"MULTI"});
  commands.push_back({"EXEC"});
  Status st = [&]() -> Status {
    auto replies = client_->Pipeline(commands);
    if (!replies.ok()) return replies.error();
    const auto& exec = replies->back();
    if (exec.IsError()) return sources::redis::ErrorFromReply(exec, what);
    if (!exec.IsArray()) return MakeError(ErrorCode::kInternal, std::string(what) + ": aborted");
    for (const auto& r : exec.elements) {
      if (r.IsError()) return sources::redis::ErrorFromReply(r, what);
    }
    return Ok{};
  }();
  // Whatever failed left its messages in the in-work list.
  if (!st.ok()) unsettled_ = true;
  return st;
}

Status RedisListQueue::Done(std::span<const Delivery> deliveries) {
  if (deliveries.empty()) return Ok{};
  std::vector<Args> cmds;
  for (const auto& d : deliveries) cmds.push_back({"LREM", processing_, "1", d.receipt});
  return Exec(std::move(cmds), "settling tasks (LREM)");
}

Status RedisListQueue::Return(std::span<const Delivery> deliveries) {
  if (deliveries.empty()) return Ok{};
  std::vector<Args> cmds;
  for (const auto& d : deliveries) {
    cmds.push_back({"RPUSH", config_.key, d.body});
    cmds.push_back({"LREM", processing_, "1", d.receipt});
  }
  return Exec(std::move(cmds), "returning tasks (RPUSH)");
}

Status RedisListQueue::DeadLetter(const Delivery& d, std::string_view reason) {
  // Dumped with replacement: a body that is not UTF-8 must not stop this.
  const std::string entry =
      nlohmann::json{{"reason", reason}, {"list", config_.key}, {"body", d.body}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return Exec({{"RPUSH", config_.dead_key, entry}, {"LREM", processing_, "1", d.receipt}},
              "dead-lettering a task (RPUSH)");
}

Status RedisListQueue::KeepAlive(std::span<const Delivery>) {
  auto r = client_->Command({"SET", alive_, "1", "PX",
                             std::to_string(std::max<int64_t>(1, config_.heartbeat_ttl.count()))});
  if (!r.ok()) return r.error();
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_recovery_) {
    next_recovery_ = now + config_.heartbeat_ttl;
    auto n = RecoverAbandoned();
    if (!n.ok()) return n.error();
  }
  return Ok{};
}

Result<int64_t> RedisListQueue::RecoverAbandoned() {
  const std::string prefix = config_.key + std::string(kProcessing);
  const std::string pattern = EscapeGlob(prefix) + "*";
  int64_t total = 0;
  std::string cursor = "0";
  do {
    auto page =
        client_->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "200", "TYPE", "list"});
    if (!page.ok()) return page.error();
    if (!page->IsArray() || page->elements.size() != 2 || !page->elements[0].IsString() ||
        !page->elements[1].IsArray()) {
      return MakeError(ErrorCode::kInternal, "SCAN answered " + page->DebugString());
    }
    cursor = page->elements[0].str;
    for (const auto& k : page->elements[1].elements) {
      if (!k.IsString() || k.str == processing_) continue;
      const std::string consumer = k.str.substr(prefix.size());
      auto n =
          client_->Eval(RecoverScript(),
                        {k.str, config_.key + std::string(kConsumer) + consumer, config_.key}, {});
      if (!n.ok()) return n.error();
      if (auto v = n->AsInteger(); v.ok()) total += *v;
    }
  } while (cursor != "0");
  return total;
}

}  // namespace agentfleet::agent::queues
