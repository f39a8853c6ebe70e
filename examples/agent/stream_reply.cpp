#include "examples/agent/stream_reply.h"

namespace agentfleet::agent {
namespace {

Error Unexpected(const char* command, const sources::redis::Reply& r) {
  return MakeError(ErrorCode::kInternal,
                   std::string(command) + " answered an unexpected reply: " + r.DebugString());
}

// [[id, [f, v, ...]], ...] → entries; nil field lists are skipped.
Result<std::vector<StreamEntry>> ParseEntries(const sources::redis::Reply& list,
                                              const char* command) {
  if (!list.IsArray()) return Unexpected(command, list);
  std::vector<StreamEntry> out;
  for (const auto& e : list.elements) {
    if (e.IsNil()) continue;
    if (!e.IsArray() || e.elements.size() != 2 || !e.elements[0].IsString()) {
      return Unexpected(command, e);
    }
    const auto& fields = e.elements[1];
    if (fields.IsNil()) continue;
    if (!fields.IsArray() || fields.elements.size() % 2 != 0) return Unexpected(command, e);
    StreamEntry entry{e.elements[0].str, {}};
    for (size_t i = 0; i < fields.elements.size(); i += 2) {
      if (!fields.elements[i].IsString() || !fields.elements[i + 1].IsString()) {
        return Unexpected(command, e);
      }
      entry.fields.emplace_back(fields.elements[i].str, fields.elements[i + 1].str);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Result<std::vector<StreamEntries>> ParseReadGroupReply(const sources::redis::Reply& reply) {
  std::vector<StreamEntries> out;
  if (reply.IsNil()) return out;
  if (!reply.IsArray()) return Unexpected("XREADGROUP", reply);
  for (const auto& stream : reply.elements) {
    if (!stream.IsArray() || stream.elements.size() != 2 || !stream.elements[0].IsString()) {
      return Unexpected("XREADGROUP", stream);
    }
    auto entries = ParseEntries(stream.elements[1], "XREADGROUP");
    if (!entries.ok()) return entries.error();
    out.push_back({stream.elements[0].str, std::move(*entries)});
  }
  return out;
}

Result<AutoClaimPage> ParseAutoClaimReply(const sources::redis::Reply& reply) {
  if (!reply.IsArray() || reply.elements.size() < 2 || !reply.elements[0].IsString()) {
    return Unexpected("XAUTOCLAIM", reply);
  }
  auto entries = ParseEntries(reply.elements[1], "XAUTOCLAIM");
  if (!entries.ok()) return entries.error();
  return AutoClaimPage{reply.elements[0].str, std::move(*entries)};
}

}  // namespace agentfleet::agent
