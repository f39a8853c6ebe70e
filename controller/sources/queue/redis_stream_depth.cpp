#include "controller/sources/queue/redis_stream_depth.h"

#include <string_view>

#include "controller/sources/redis/client.h"

namespace agentfleet::sources::queue::redis_stream {
namespace {

bool StartsWith(const redis::Reply& r, std::string_view prefix) {
  return r.IsError() && std::string_view(r.str).starts_with(prefix);
}

Error ReplyError(const redis::Reply& r, const std::string& key, const char* command) {
  if (StartsWith(r, "WRONGTYPE")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "redis key " + key + " has the wrong type for " + command);
  }
  return redis::ErrorFromReply(r, std::string(command) + " " + key);
}

// The value after `field` in a flat [field, value, ...] array, or nullptr.
const redis::Reply* Field(const redis::Reply& group, std::string_view field) {
  for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
    if (group.elements[i].IsString() && group.elements[i].str == field) {
      return &group.elements[i + 1];
    }
  }
  return nullptr;
}

}  // namespace

std::vector<std::vector<std::string>> Commands(const std::string& key) {
  return {{"XINFO", "GROUPS", key}, {"XLEN", key}};
}

Result<int64_t> Length(const redis::Reply& reply, const std::string& key, const char* command) {
  if (reply.IsError()) return ReplyError(reply, key, command);
  auto n = reply.AsInteger();
  if (!n.ok() || *n < 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string(command) + " " + key + " answered " + reply.DebugString());
  }
  return *n;
}

Result<int64_t> Depth(const redis::Reply& xinfo_groups, const redis::Reply& xlen,
                      const std::string& key, const std::string& group) {
  auto length = Length(xlen, key, "XLEN");
  if (!length.ok()) return length.error();
  if (group.empty()) return *length;
  if (xinfo_groups.IsError()) {
    // XLEN of a missing key is 0; XINFO of one is "ERR no such key".
    if (*length == 0 && StartsWith(xinfo_groups, "ERR no such key")) return int64_t{0};
    return ReplyError(xinfo_groups, key, "XINFO GROUPS");
  }
  if (!xinfo_groups.IsArray()) {
    return MakeError(ErrorCode::kInternal,
                     "XINFO GROUPS " + key + " answered " + xinfo_groups.DebugString());
  }
  for (const auto& g : xinfo_groups.elements) {
    const redis::Reply* name = Field(g, "name");
    if (name == nullptr || !name->IsString() || name->str != group) continue;
    const redis::Reply* pending = Field(g, "pending");
    const redis::Reply* lag = Field(g, "lag");
    if (pending == nullptr || !pending->AsInteger().ok()) {
      return MakeError(ErrorCode::kInternal,
                       "XINFO GROUPS " + key + ": group " + group + " has no pending count");
    }
    if (lag == nullptr || lag->IsNil() || !lag->AsInteger().ok()) return *length;
    int64_t depth = 0;
    if (__builtin_add_overflow(*lag->AsInteger(), *pending->AsInteger(), &depth)) {
      return MakeError(ErrorCode::kInternal, "XINFO GROUPS " + key + ": group " + group +
                                                 ": lag + pending overflows a 64-bit count");
    }
    return depth;
  }
  return *length;  // no such group
}

}  // namespace agentfleet::sources::queue::redis_stream
