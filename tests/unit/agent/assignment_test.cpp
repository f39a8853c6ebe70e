#include "examples/agent/assignment.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

// What the kubelet writes for fieldRef metadata.annotations: sorted keys,
// Go-quoted values, lines joined by \n.
constexpr const char* kKubeletFile =
    "agentfleet.io/assignment-generation=\"7\"\n"
    "agentfleet.io/shards=\"0-3,8,10-11\"\n"
    "kubectl.kubernetes.io/last-applied-configuration=\"{\\\"kind\\\":\\\"Pod\\\"}\\n\"\n"
    "note=\"caf\xc3\xa9 \\u00e9\"";

TEST(AssignmentFile, ParsesTheKubeletRendering) {
  auto a = ParseAssignmentFile(kKubeletFile, 16);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_TRUE(a->present);
  EXPECT_EQ(a->generation, 7);
  EXPECT_EQ(a->shards, (std::vector<uint32_t>{0, 1, 2, 3, 8, 10, 11}));

  auto map = ParseAnnotationsFile(kKubeletFile);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->at("kubectl.kubernetes.io/last-applied-configuration"), "{\"kind\":\"Pod\"}\n");
  EXPECT_EQ(map->at("note"), "caf\xc3\xa9 \xc3\xa9");
}

TEST(AssignmentFile, EmptyAssignmentAndNoAssignment) {
  auto none = ParseAssignmentFile("", 16);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->present);
  auto other = ParseAssignmentFile("team=\"pricing\"\n", 16);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->present);

  auto empty = ParseAssignmentFile(
      "agentfleet.io/assignment-generation=\"3\"\nagentfleet.io/shards=\"\"\n", 16);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->present);
  EXPECT_EQ(empty->generation, 3);
  EXPECT_TRUE(empty->shards.empty());
}

TEST(AssignmentFile, MalformedFilesNameTheProblem) {
  struct Case {
    const char* content;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"agentfleet.io/shards=0-3\n", "line 1"},
           {"a=\"1\"\nagentfleet.io/shards=\"0-3\n", "line 2"},
           {"=\"x\"\n", "expected key"},
           {"no equals sign\n", "expected key"},
           {"a=\"1\"\na=\"2\"\n", "duplicate key a"},
           {"agentfleet.io/shards=\"0-3\"\n", "assignment-generation is missing"},
           {"agentfleet.io/assignment-generation=\"x\"\nagentfleet.io/shards=\"0-3\"\n",
            "agentfleet.io/assignment-generation"},
           {"agentfleet.io/assignment-generation=\"01\"\nagentfleet.io/shards=\"0-3\"\n",
            "agentfleet.io/assignment-generation"},
           {"agentfleet.io/assignment-generation=\"1\"\nagentfleet.io/shards=\"0-16\"\n",
            "agentfleet.io/shards"},
           {"agentfleet.io/assignment-generation=\"1\"\nagentfleet.io/shards=\"3,1\"\n",
            "agentfleet.io/shards"},
           {"agentfleet.io/assignment-generation=\"1\"\nagentfleet.io/shards=\"0-3,2\"\n",
            "agentfleet.io/shards"},
       }) {
    auto a = ParseAssignmentFile(c.content, 16);
    ASSERT_FALSE(a.ok()) << c.content;
    EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(a.error().message.find(c.message), std::string::npos)
        << c.content << " → " << a.error().message;
  }
}

TEST(AssignmentFile, BlankLinesAndNoTrailingNewline) {
  auto a = ParseAssignmentFile(
      "\nagentfleet.io/assignment-generation=\"2\"\n\nagentfleet.io/shards=\"5\"", 8);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shards, std::vector<uint32_t>{5});
}

TEST(ShouldApply, OnlyStrictlyNewerGenerations) {
  Assignment a{true, 5, {1}};
  EXPECT_TRUE(ShouldApply(0, false, a));
  EXPECT_TRUE(ShouldApply(4, true, a));
  EXPECT_FALSE(ShouldApply(5, true, a));
  EXPECT_FALSE(ShouldApply(6, true, a));
  EXPECT_FALSE(ShouldApply(0, false, Assignment{}));
}

}  // namespace
}  // namespace agentfleet::agent
