#pragma once

// Product → shard: the function agents and operator must agree on bit for bit.
// docs/protocol.md carries the same test vectors as shard_test.cpp.

#include <cstdint>
#include <string_view>

namespace agentfleet::sources::protocol {

// FNV-1a, 64-bit, over the bytes as given (callers pass UTF-8).
constexpr uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;  // offset basis
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV prime; wraps modulo 2^64 by definition
  }
  return h;
}

// The most shards a fleet may have (spec.shards, the agent's --shards). One
// limit end to end: the Redis Streams queue reads one stream per shard in a
// pipeline every poll, the lease table is snapshot whole every pass, and a
// pod's shard ranges must fit an annotation; 65536 keeps each of these a
// bounded cost. The CRD's maximum is checked equal to it
// (tests/unit/fleet/api/crd_schema_test.cpp).
inline constexpr uint32_t kMaxShards = 65536;

// The shard of `product` in a fleet of `shards` shards (shards > 0).
constexpr uint32_t ShardOf(std::string_view product, uint32_t shards) {
  return static_cast<uint32_t>(Fnv1a64(product) % shards);
}

}  // namespace agentfleet::sources::protocol
