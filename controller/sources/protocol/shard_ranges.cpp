#include "controller/sources/protocol/shard_ranges.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "controller/sources/protocol/annotations.h"

namespace agentfleet::sources::protocol {
namespace {

Error Bad(std::string_view item, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "shard ranges: item \"" + std::string(item) + "\": " + why);
}

// A plain decimal: digits only, no sign, no leading zero (except "0").
std::optional<uint64_t> Decimal(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string FormatShardRanges(const std::vector<uint32_t>& shards) {
  std::string out;
  for (size_t i = 0; i < shards.size();) {
    size_t j = i;
    while (j + 1 < shards.size() && shards[j + 1] == shards[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(shards[i]);
    if (j > i) out += '-' + std::to_string(shards[j]);
    i = j + 1;
  }
  return out;
}

Result<std::vector<uint32_t>> ParseShardRanges(std::string_view text, uint32_t shard_count) {
  std::vector<uint32_t> out;
  if (text.empty()) return out;
  std::optional<uint64_t> last;  // highest shard so far
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "shard ranges: empty item (stray comma) in \"" + std::string(text) + "\"");
    }
    const size_t dash = item.find('-');
    const auto lo = Decimal(item.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : Decimal(item.substr(dash + 1));
    if (!lo || !hi) {
      return Bad(item, "not a shard number or a run a-b of plain decimals");
    }
    if (dash != std::string_view::npos && *lo >= *hi) {
      return Bad(item, *lo == *hi ? "a run must span two or more shards; write a single shard alone"
                                  : "run is reversed (start above end)");
    }
    if (*hi >= shard_count) {
      return Bad(item, "shard " + std::to_string(*hi) + " is out of range: the fleet has " +
                           std::to_string(shard_count) + " shards (0-" +
                           std::to_string(shard_count == 0 ? 0 : shard_count - 1) + ")");
    }
    if (last && *lo <= *last) {
      // Items ascend and are disjoint, so a shard of this item already in
      // `out` is an overlap; otherwise the item merely comes too late.
      auto first_listed = std::lower_bound(out.begin(), out.end(), static_cast<uint32_t>(*lo));
      if (first_listed != out.end() && *first_listed <= *hi) {
        return Bad(item, "overlaps an earlier item (shard " + std::to_string(*first_listed) +
                             " is listed twice)");
      }
      return Bad(item,
                 "out of order: items must ascend, and it follows shard " + std::to_string(*last));
    }
    for (uint64_t s = *lo; s <= *hi; ++s) out.push_back(static_cast<uint32_t>(s));
    last = hi;
  }
  return out;
}

Result<int64_t> ParseAssignmentGeneration(std::string_view text) {
  const auto v = Decimal(text);
  if (!v || *v > static_cast<uint64_t>(INT64_MAX)) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(kAssignmentGenerationAnnotation) +
                                                      ": \"" + std::string(text) +
                                                      "\" is not a non-negative decimal integer");
  }
  return static_cast<int64_t>(*v);
}

}  // namespace agentfleet::sources::protocol
