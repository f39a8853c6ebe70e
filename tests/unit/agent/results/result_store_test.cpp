#include "examples/agent/results/result_store.h"

#include <gtest/gtest.h>

namespace agentfleet::agent::results {
namespace {

TEST(ResultValidation, RejectsEmptyDuplicatesAndBadTokens) {
  EXPECT_TRUE(ValidateWrite("f", 1, {{"a", 1}, {"b", 2}}).ok());
  EXPECT_FALSE(ValidateWrite("f", 1, {}).ok());
  EXPECT_FALSE(ValidateWrite("f", 0, {{"a", 1}}).ok());
  EXPECT_FALSE(ValidateWrite("f", 1, {{"", 1}}).ok());
  auto dup = ValidateWrite("f", 1, {{"a", 1}, {"a", 2}});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("product a appears twice"), std::string::npos);
}

TEST(ResultValidation, RejectsNegativeTaskVersions) {
  EXPECT_TRUE(ValidateWrite("f", 1, {{"a", 1, {0, 0}}, {"b", 2, {1700000000000, 3}}}).ok());
  auto bad = ValidateWrite("f", 1, {{"a", 1, {5, -1}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("product a: task version 5--1"), std::string::npos)
      << bad.error().message;
  EXPECT_FALSE(ValidateWrite("f", 1, {{"a", 1, {-1, 0}}}).ok());
}

}  // namespace
}  // namespace agentfleet::agent::results
