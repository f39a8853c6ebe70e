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

}  // namespace
}  // namespace agentfleet::agent::results
