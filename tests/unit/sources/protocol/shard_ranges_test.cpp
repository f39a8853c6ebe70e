#include "controller/sources/protocol/shard_ranges.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <set>

#include "controller/sources/protocol/annotations.h"

namespace agentfleet::sources::protocol {
namespace {

std::vector<uint32_t> Range(uint32_t lo, uint32_t hi) {
  std::vector<uint32_t> v(hi - lo + 1);
  std::iota(v.begin(), v.end(), lo);
  return v;
}

TEST(ShardRanges, FormatsCompactly) {
  std::vector<uint32_t> s = Range(0, 15);
  s.push_back(32);
  for (uint32_t x : Range(40, 47)) s.push_back(x);
  EXPECT_EQ(FormatShardRanges(s), "0-15,32,40-47");
  EXPECT_EQ(FormatShardRanges({}), "");
  EXPECT_EQ(FormatShardRanges({7}), "7");
  EXPECT_EQ(FormatShardRanges({3, 4}), "3-4");
  EXPECT_EQ(FormatShardRanges({1, 3, 5}), "1,3,5");
}

TEST(ShardRanges, ParsesTheExample) {
  auto r = ParseShardRanges("0-15,32,40-47", 64);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->size(), 25u);
  EXPECT_EQ(r->front(), 0u);
  EXPECT_EQ((*r)[16], 32u);
  EXPECT_EQ(r->back(), 47u);
}

TEST(ShardRanges, EmptyIsTheEmptySet) {
  auto r = ParseShardRanges("", 8);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ShardRanges, AdjacentItemsAreAccepted) {
  auto r = ParseShardRanges("0-3,4-7,8", 9);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, Range(0, 8));
}

TEST(ShardRanges, RoundTripsRandomSets) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    const uint32_t n = 1 + rng() % 300;
    std::vector<uint32_t> set;
    for (uint32_t s = 0; s < n; ++s) {
      if (rng() % 3 != 0) set.push_back(s);
    }
    const std::string text = FormatShardRanges(set);
    auto back = ParseShardRanges(text, n);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().ToString();
    EXPECT_EQ(*back, set) << text;
  }
}

struct BadCase {
  const char* text;
  const char* problem;  // a phrase the message must contain
};

class ShardRangesRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ShardRangesRejects, WithAMessageNamingTheProblem) {
  const BadCase& c = GetParam();
  auto r = ParseShardRanges(c.text, 64);
  ASSERT_FALSE(r.ok()) << c.text;
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find(c.problem), std::string::npos)
      << c.text << " -> " << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ShardRangesRejects,
    ::testing::Values(BadCase{"0,,2", "empty item"}, BadCase{",1", "empty item"},
                      BadCase{"1,", "empty item"}, BadCase{"a", "not a shard number"},
                      BadCase{"1-", "not a shard number"}, BadCase{"-1", "not a shard number"},
                      BadCase{"1-2-3", "not a shard number"}, BadCase{"+1", "not a shard number"},
                      BadCase{" 1", "not a shard number"}, BadCase{"01", "not a shard number"},
                      BadCase{"5-3", "reversed"}, BadCase{"4-4", "two or more"},
                      BadCase{"64", "out of range"}, BadCase{"60-70", "out of range"},
                      BadCase{"99999999999999999999", "not a shard number"},
                      BadCase{"5,3", "out of order"}, BadCase{"10-20,1", "out of order"},
                      BadCase{"0-15,15", "overlaps"}, BadCase{"0-15,10-20", "overlaps"},
                      BadCase{"3,3", "overlaps"}, BadCase{"8-10,2-9", "overlaps"}));

TEST(ShardRanges, MessageNamesTheItem) {
  auto r = ParseShardRanges("0-3,9-5", 16);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("\"9-5\""), std::string::npos) << r.error().message;
}

TEST(AssignmentGeneration, Parses) {
  EXPECT_EQ(*ParseAssignmentGeneration("0"), 0);
  EXPECT_EQ(*ParseAssignmentGeneration("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "-1", "01", "1.5", "9223372036854775808", " 3", "x"}) {
    auto r = ParseAssignmentGeneration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("assignment-generation"), std::string::npos);
  }
}

}  // namespace
}  // namespace agentfleet::sources::protocol
