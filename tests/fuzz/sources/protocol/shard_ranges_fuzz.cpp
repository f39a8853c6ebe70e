// The agentfleet.io/shards annotation (and the assignment generation beside
// it), as anyone who can edit a pod may write them. The first four bytes give the fleet's shard
// count (up to the CRD's maximum), the rest is the annotation. Properties: no crash; what is
// accepted is ascending, distinct and below the shard count; its canonical
// form parses back to the same shards.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "controller/sources/protocol/annotations.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "tests/fuzz/fuzz_check.h"

using agentfleet::sources::protocol::FormatShardRanges;
using agentfleet::sources::protocol::ParseAssignmentGeneration;
using agentfleet::sources::protocol::ParseShardRanges;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t raw = 0;
  std::memcpy(&raw, data, 4);
  const uint32_t shard_count = raw % 1'000'001;  // spec.shards: 1 to 1,000,000
  std::string_view text(reinterpret_cast<const char*>(data + 4), size - 4);
  if (auto g = ParseAssignmentGeneration(text); g.ok()) {
    FUZZ_CHECK(*g >= 0);
    FUZZ_CHECK(std::to_string(*g) == text);
  }
  auto shards = ParseShardRanges(text, shard_count);
  if (!shards.ok()) {
    FUZZ_CHECK(!shards.error().message.empty());
    return 0;
  }
  for (size_t i = 0; i < shards->size(); ++i) {
    FUZZ_CHECK((*shards)[i] < shard_count);
    if (i > 0) FUZZ_CHECK((*shards)[i - 1] < (*shards)[i]);
  }
  const std::string canonical = FormatShardRanges(*shards);
  auto again = ParseShardRanges(canonical, shard_count);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *shards);
  FUZZ_CHECK(FormatShardRanges(*again) == canonical);
  return 0;
}
