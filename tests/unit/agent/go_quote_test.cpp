#include "examples/agent/go_quote.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

TEST(GoUnquote, PlainAndEscapes) {
  EXPECT_EQ(*GoUnquote(R"("")"), "");
  EXPECT_EQ(*GoUnquote(R"("0-15,32,40-47")"), "0-15,32,40-47");
  EXPECT_EQ(*GoUnquote(R"("a\"b\\c")"), "a\"b\\c");
  EXPECT_EQ(*GoUnquote(R"("\a\b\f\n\r\t\v")"), "\a\b\f\n\r\t\v");
  EXPECT_EQ(*GoUnquote(R"("\x41\101\u00e9\U0001F600")"), "AA\xc3\xa9\xf0\x9f\x98\x80");
  // strconv.Quote leaves printable UTF-8 as it is.
  EXPECT_EQ(*GoUnquote("\"caf\xc3\xa9\""), "caf\xc3\xa9");
  // The JSON of kubectl's last-applied annotation, as the kubelet renders it.
  EXPECT_EQ(*GoUnquote(R"("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}\n")"),
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}\n");
}

TEST(GoUnquote, RejectsMalformedLiterals) {
  for (const char* bad : {"", "\"", "abc", "\"abc", "abc\"", "\"a\"b", "\"a\"\"", R"("\q")",
                          R"("\')", R"("\x4")", R"("\x4g")", R"("\12")", R"("\400")", R"("\u12")",
                          R"("\uD800")", R"("\U00110000")", "\"a\nb\"", "\"\\"}) {
    auto r = GoUnquote(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
      EXPECT_NE(r.error().message.find("Go string literal"), std::string::npos);
    }
  }
}

TEST(GoQuote, GoUnquoteReadsItBack) {
  for (std::string s :
       {std::string(), std::string("0-15,32"), std::string("a\"b\\c"),
        std::string("\a\b\f\n\r\t\v"), std::string("\x01\x7f", 2), std::string("pr\xc3\xa9x")}) {
    EXPECT_EQ(*GoUnquote(GoQuote(s)), s) << GoQuote(s);
  }
  EXPECT_EQ(GoQuote("a\"b\n"), R"("a\"b\n")");
}

}  // namespace
}  // namespace agentfleet::agent
