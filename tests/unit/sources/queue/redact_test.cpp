#include "controller/sources/queue/redact.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::queue {
namespace {

TEST(RedactorTest, RemovesEveryOccurrence) {
  Redactor r({"hunter2-pass"});
  EXPECT_EQ(r.Redact(std::string("a hunter2-pass b hunter2-pass")), "a [redacted] b [redacted]");
}

TEST(RedactorTest, RemovesTheLongerSecretWhole) {
  Redactor r({"abcd", "abcdefgh"});
  EXPECT_EQ(r.Redact(std::string("xabcdefghx")), "x[redacted]x");
}

TEST(RedactorTest, IgnoresEmptyAndTinySecrets) {
  Redactor r({"", "ab"});
  EXPECT_EQ(r.Redact(std::string("ab cd")), "ab cd");
}

TEST(RedactorTest, RedactsErrorsAndKeepsTheirCode) {
  Redactor r({"token-xyz"});
  Result<int> res = MakeError(ErrorCode::kForbidden, "echo: token-xyz");
  auto out = r.Redact(std::move(res));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(out.error().message, "echo: [redacted]");
}

TEST(ExcerptTest, CutsAndFlattens) {
  EXPECT_EQ(Excerpt("a\nb\r\nc"), "a b  c");
  EXPECT_EQ(Excerpt(std::string(300, 'x'), 10), "xxxxxxxxxx...");
}

}  // namespace
}  // namespace agentfleet::sources::queue
