#include "controller/base/redact.h"

#include <gtest/gtest.h>

namespace agentfleet {
namespace {

std::string Hide(std::vector<std::string> secrets, std::string_view text) {
  return Redactor(std::move(secrets)).Redact(text);
}

TEST(Redactor, RemovesEveryOccurrence) {
  EXPECT_EQ(Hide({"hunter2-pass"}, "a hunter2-pass b hunter2-pass"), "a [REDACTED] b [REDACTED]");
  EXPECT_EQ(Hide({"hunter2-pass"}, "nothing here"), "nothing here");
}

TEST(Redactor, ReplacesLongestSecretsFirst) {
  EXPECT_EQ(Hide({"abc", "abcdef"}, "x abcdef y abc"), "x [REDACTED] y [REDACTED]");
  EXPECT_EQ(Hide({"abcd", "abcdefgh"}, "xabcdefghx"), "x[REDACTED]x");
}

TEST(Redactor, OverlappingSecretsLeaveNoPartBehind) {
  EXPECT_EQ(Hide({"abcd", "cdefgh"}, "<abcdefgh>"), "<[REDACTED]>");
  EXPECT_EQ(Hide({"aaaa"}, "aaaaa"), "[REDACTED]");
}

TEST(Redactor, TheMarkerItselfIsNeverRedactedAgain) {
  EXPECT_EQ(Hide({"secret-value", "REDACTED", "E"}, "secret-value"), "[REDACTED]");
}

TEST(Redactor, EmptySecretsAreIgnored) {
  Redactor r({""});
  r.Add("");
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.Redact("any text"), "any text");
}

TEST(Redactor, ShortSecretsAreHiddenWhereTheyStandAlone) {
  const std::vector<std::string> a{"a"};
  EXPECT_EQ(Hide(a, "redis://:a@cache:6379"), "redis://:[REDACTED]@cache:6379");
  EXPECT_EQ(Hide(a, "password=a&user=b"), "password=[REDACTED]&user=b");
  EXPECT_EQ(Hide(a, R"({"password":"a"})"), R"({"password":"[REDACTED]"})");
  EXPECT_EQ(Hide(a, "a"), "[REDACTED]");
  EXPECT_EQ(Hide({"ab!"}, "AUTH ab!"), "AUTH [REDACTED]");
}

TEST(Redactor, ShortSecretsInsideWordsLeaveTheLineReadable) {
  EXPECT_EQ(Hide({"a"}, "cannot read a reply from cache"),
            "cannot read [REDACTED] reply from cache");
  EXPECT_EQ(Hide({"ab1"}, "tab1 xab1 ab1x"), "tab1 xab1 ab1x");
}

TEST(Redactor, AShortSecretBesideALongOneIsHiddenToo) {
  EXPECT_EQ(Hide({"ab", "long-session-token"}, "ablong-session-token"), "[REDACTED]");
}

TEST(Redactor, SecretsFromFourBytesAreHiddenEverywhere) {
  ASSERT_EQ(kShortSecret, 4u);
  EXPECT_EQ(Hide({"pass"}, "bypassed"), "by[REDACTED]ed");
}

TEST(Redactor, RedactsErrorsAndKeepsTheirCode) {
  Redactor r({"token-xyz"});
  Result<int> res = Error(ErrorCode::kForbidden, "echo: token-xyz", 403, "token-xyz");
  auto out = r.Redact(std::move(res));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(out.error().http_status, 403);
  EXPECT_EQ(out.error().message, "echo: [REDACTED]");
  EXPECT_EQ(out.error().reason, "[REDACTED]");
  EXPECT_EQ(*r.Redact(Result<int>(7)), 7);
}

}  // namespace
}  // namespace agentfleet
