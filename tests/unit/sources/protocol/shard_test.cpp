#include "controller/sources/protocol/shard.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace agentfleet::sources::protocol {
namespace {

// The reference vectors of FNV-1a 64 (Fowler, Noll, Vo).
static_assert(Fnv1a64("") == 0xcbf29ce484222325ULL);
static_assert(Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
static_assert(Fnv1a64("foobar") == 0x85944171f73967e8ULL);

TEST(Fnv1a64, StandardVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("b"), 0xaf63df4c8601f1a5ULL);
  EXPECT_EQ(Fnv1a64("foo"), 0xdcb27518fed9d577ULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(Fnv1a64, HashesBytesNotCharacters) {
  // "é" in UTF-8 is two bytes, C3 A9; bytes >= 0x80 must not sign-extend.
  EXPECT_EQ(Fnv1a64("\xc3\xa9"), Fnv1a64(std::string{'\xc3', '\xa9'}));
  EXPECT_EQ(Fnv1a64("\xc3\xa9"), 0x0ac21707b7181e01ULL);
  EXPECT_NE(Fnv1a64(std::string("a\0b", 3)), Fnv1a64("ab"));
}

struct Vector {
  const char* product;
  uint64_t hash;
  uint32_t shard64;
  uint32_t shard1024;
};

// Computed independently (a Python one-liner, see docs/protocol.md); the same
// table is in docs/protocol.md. An agent in another language should reproduce
// it before it is trusted with a fleet.
constexpr std::array<Vector, 9> kVectors{{
    {"", 0xcbf29ce484222325ULL, 37, 805},
    {"a", 0xaf63dc4c8601ec8cULL, 12, 140},
    {"foobar", 0x85944171f73967e8ULL, 40, 1000},
    {"sku-1", 0x95ea9e427819cf8cULL, 12, 908},
    {"sku-42", 0xd77012f213d2ac73ULL, 51, 115},
    {"product:000123", 0xa27b24613bb79aa2ULL, 34, 674},
    {"EAN-4006381333931", 0xc9e161cae708e084ULL, 4, 132},
    {"caf\xc3\xa9-cr\xc3\xa8me", 0x3103987d5fd6384cULL, 12, 76},  // "café-crème"
    {"order/77/line/3", 0x0eb6c9ba1d97da43ULL, 3, 579},
}};

TEST(ShardOf, DocumentedVectors) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(Fnv1a64(v.product), v.hash) << v.product;
    EXPECT_EQ(ShardOf(v.product, 64), v.shard64) << v.product;
    EXPECT_EQ(ShardOf(v.product, 1024), v.shard1024) << v.product;
  }
}

TEST(ShardOf, IsHashModuloShards) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(ShardOf(v.product, 1), 0u);
    EXPECT_EQ(ShardOf(v.product, 7), v.hash % 7) << v.product;
    EXPECT_EQ(ShardOf(v.product, 0xffffffffu), v.hash % 0xffffffffu) << v.product;
  }
}

TEST(ShardOf, SpreadsProductsEvenly) {
  std::array<int, 64> counts{};
  for (int i = 0; i < 64000; ++i) ++counts[ShardOf("sku-" + std::to_string(i), 64)];
  for (int c : counts) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

}  // namespace
}  // namespace agentfleet::sources::protocol
