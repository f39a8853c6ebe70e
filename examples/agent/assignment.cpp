#include "examples/agent/assignment.h"

#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "examples/agent/go_quote.h"

namespace agentfleet::agent {

Result<Assignment> AssignmentFromAnnotations(const AnnotationLookup& lookup, uint32_t shard_count) {
  const std::string* shards = lookup(sources::protocol::kShardsAnnotation);
  const std::string* generation = lookup(sources::protocol::kAssignmentGenerationAnnotation);
  Assignment a;
  if (shards == nullptr) return a;
  if (generation == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(sources::protocol::kShardsAnnotation) + " is set but " +
                         std::string(sources::protocol::kAssignmentGenerationAnnotation) +
                         " is missing");
  }
  auto gen = sources::protocol::ParseAssignmentGeneration(*generation);
  if (!gen.ok()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(sources::protocol::kAssignmentGenerationAnnotation) + ": " +
                         gen.error().message);
  }
  auto parsed = sources::protocol::ParseShardRanges(*shards, shard_count);
  if (!parsed.ok()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        std::string(sources::protocol::kShardsAnnotation) + ": " + parsed.error().message);
  }
  a.present = true;
  a.generation = *gen;
  a.shards = std::move(*parsed);
  return a;
}

Result<std::map<std::string, std::string>> ParseAnnotationsFile(std::string_view content) {
  std::map<std::string, std::string> out;
  size_t line_no = 0;
  while (!content.empty()) {
    ++line_no;
    size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view() : content.substr(nl + 1);
    if (line.empty()) continue;
    auto where = [line_no](const std::string& what) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "annotations file line " + std::to_string(line_no) + ": " + what);
    };
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return where("expected key=\"value\"");
    std::string key(line.substr(0, eq));
    auto value = GoUnquote(line.substr(eq + 1));
    if (!value.ok()) return where(value.error().message);
    if (!out.emplace(key, std::move(*value)).second) return where("duplicate key " + key);
  }
  return out;
}

Result<Assignment> ParseAssignmentFile(std::string_view content, uint32_t shard_count) {
  auto annotations = ParseAnnotationsFile(content);
  if (!annotations.ok()) return annotations.error();
  const auto& map = *annotations;
  return AssignmentFromAnnotations(
      [&map](std::string_view key) -> const std::string* {
        auto it = map.find(std::string(key));
        return it == map.end() ? nullptr : &it->second;
      },
      shard_count);
}

bool ShouldApply(int64_t applied_generation, bool applied_any, const Assignment& next) {
  if (!next.present) return false;
  return !applied_any || next.generation > applied_generation;
}

}  // namespace agentfleet::agent
