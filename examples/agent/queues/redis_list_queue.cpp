#include "examples/agent/queues/redis_list_queue.h"

#include <nlohmann/json.hpp>

namespace agentfleet::agent::queues {
namespace {

using Args = sources::redis::Client::Args;

constexpr std::string_view kProcessing = ":processing:";
constexpr std::string_view kConsumer = ":consumer:";

// KEYS[1] the in-work list, KEYS[2] its consumer's heartbeat, KEYS[3] the
// queue; ARGV[1] "force" skips the check (a consumer's own list). Atomic with
// the check, so a consumer that is alive after all keeps its messages; -1
// says it is alive.
const sources::redis::Script& RecoverScript() {
  static const sources::redis::Script script(R"lua(
if ARGV[1] ~= 'force' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
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

// Up to ARGV[1] more messages moved from KEYS[1] to KEYS[2], stopping at an
// empty list: one command, not one LMOVE per message asked for.
const sources::redis::Script& MoveScript() {
  static const sources::redis::Script script(R"lua(
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not v then break end
  out[i] = v
end
return out
)lua");
  return script;
}

}  // namespace

RedisListQueue::RedisListQueue(RedisListConfig config,
                               std::unique_ptr<sources::redis::Client> client)
    : config_(std::move(config)),
      client_(std::move(client)),
      processing_(ProcessingKey(config_.consumer)),
      alive_(AliveKey(config_.consumer)),
      consumers_(config_.key + ":consumers") {
  if (config_.dead_key.empty()) config_.dead_key = config_.key + ":dead";
}

RedisListQueue::~RedisListQueue() {
  // Its in-work list is empty after a clean stop; if not, the next recovery
  // puts it back at once rather than after the TTL.
  (void)client_->Command({"DEL", alive_});
}

std::string RedisListQueue::ProcessingKey(const std::string& consumer) const {
  return config_.key + std::string(kProcessing) + consumer;
}

std::string RedisListQueue::AliveKey(const std::string& consumer) const {
  return config_.key + std::string(kConsumer) + consumer;
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
  // Registered before anything is in work, so that a sweep finds it.
  if (!registered_) {
    auto r = client_->Command({"SADD", consumers_, config_.consumer});
    if (!r.ok()) return r.error();
    registered_ = true;
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
  auto more = client_->Eval(MoveScript(), {config_.key, processing_}, {std::to_string(max - 1)});
  if (!more.ok()) {
    unsettled_ = true;  // some may have moved: put back before the next receive
    return out;
  }
  if (more->IsArray()) {
    for (const auto& r : more->elements) {
      if (r.IsString()) out.push_back({r.str, r.str, std::nullopt});
    }
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
  const std::string ttl = std::to_string(std::max<int64_t>(1, config_.heartbeat_ttl.count()));
  auto r =
      client_->Pipeline({{"SET", alive_, "1", "PX", ttl}, {"SADD", consumers_, config_.consumer}});
  if (!r.ok()) return r.error();
  for (const auto& reply : *r) {
    if (reply.IsError()) return sources::redis::ErrorFromReply(reply, "the consumer heartbeat");
  }
  registered_ = true;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_recovery_) return Ok{};
  next_recovery_ = now + config_.heartbeat_ttl;
  // One sweeper per TTL for the whole fleet.
  auto turn =
      client_->Command({"SET", config_.key + ":recovery", config_.consumer, "NX", "PX", ttl});
  if (!turn.ok()) return turn.error();
  if (turn->IsNil()) return Ok{};
  auto n = RecoverAbandoned();
  return n.ok() ? Status(Ok{}) : Status(n.error());
}

Result<int64_t> RedisListQueue::RecoverAbandoned() {
  auto members = client_->Command({"SMEMBERS", consumers_});
  if (!members.ok()) return members.error();
  if (!members->IsArray()) {
    return MakeError(ErrorCode::kInternal, "SMEMBERS answered " + members->DebugString());
  }
  int64_t total = 0;
  for (const auto& m : members->elements) {
    if (!m.IsString() || m.str == config_.consumer) continue;
    auto n = client_->Eval(RecoverScript(), {ProcessingKey(m.str), AliveKey(m.str), config_.key},
                           {"check"});
    if (!n.ok()) return n.error();
    auto moved = n->AsInteger();
    if (!moved.ok() || *moved < 0) continue;  // alive
    total += *moved;
    if (auto r = client_->Command({"SREM", consumers_, m.str}); !r.ok()) return r.error();
  }
  return total;
}

}  // namespace agentfleet::agent::queues
