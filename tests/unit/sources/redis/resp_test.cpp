#include "controller/sources/redis/resp.h"

#include <gtest/gtest.h>

#include <string>

namespace agentfleet::sources::redis {
namespace {

// Feeds `wire` in chunks of `chunk` bytes and collects every complete reply.
std::vector<Reply> ParseAll(const std::string& wire, size_t chunk) {
  RespParser p;
  std::vector<Reply> out;
  for (size_t i = 0; i < wire.size(); i += chunk) {
    p.Feed(std::string_view(wire).substr(i, chunk));
    for (;;) {
      auto r = p.Next();
      EXPECT_TRUE(r.ok()) << r.error().ToString();
      if (!r.ok() || !*r) break;
      out.push_back(std::move(**r));
    }
  }
  EXPECT_EQ(p.Buffered(), 0u);
  return out;
}

TEST(RespEncode, ArrayOfBulkStrings) {
  EXPECT_EQ(EncodeCommand({"SET", "k", "v"}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  EXPECT_EQ(EncodeCommand({}), "*0\r\n");
}

TEST(RespEncode, BinarySafeArguments) {
  const std::string arg("a\r\n\0b", 5);
  EXPECT_EQ(EncodeCommand({arg}), std::string("*1\r\n$5\r\na\r\n\0b\r\n", 15));
}

TEST(RespParse, EveryScalarType) {
  auto r =
      ParseAll("+OK\r\n-ERR bad\r\n:-42\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n", 1024);
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[0], Reply::Status("OK"));
  EXPECT_EQ(r[1], Reply::ErrorReply("ERR bad"));
  EXPECT_EQ(r[2], Reply::Integer(-42));
  EXPECT_EQ(r[3], Reply::Bulk("hello"));
  EXPECT_EQ(r[4], Reply::Bulk(""));
  EXPECT_TRUE(r[5].IsNil());
  EXPECT_TRUE(r[6].IsNil());
  EXPECT_EQ(r[7], Reply::Array({}));
}

TEST(RespParse, NestedArraysInEveryChunking) {
  const std::string wire = "*3\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n$-1\r\n+x\r\n:7\r\n";
  const Reply want = Reply::Array({Reply::Integer(1),
                                   Reply::Array({Reply::Bulk("a"), Reply::Array({Reply::Nil()})}),
                                   Reply::Status("x")});
  for (size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    auto r = ParseAll(wire, chunk);
    ASSERT_EQ(r.size(), 2u) << "chunk " << chunk;
    EXPECT_EQ(r[0], want) << "chunk " << chunk;
    EXPECT_EQ(r[1], Reply::Integer(7));
  }
}

TEST(RespParse, BulkContainingCrlfIsTakenByLength) {
  auto r = ParseAll("$4\r\n\r\n\r\n\r\n", 3);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], Reply::Bulk("\r\n\r\n"));
}

TEST(RespParse, LargeArrayInSmallChunks) {
  std::string wire = "*100000\r\n";
  for (int i = 0; i < 100000; ++i) wire += ":" + std::to_string(i) + "\r\n";
  auto r = ParseAll(wire, 4096);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].elements.size(), 100000u);
  EXPECT_EQ(r[0].elements[99999], Reply::Integer(99999));
}

TEST(RespParse, IncompleteInputWaits) {
  RespParser p;
  p.Feed("$5\r\nhel");
  auto r = p.Next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  p.Feed("lo\r\n");
  r = p.Next();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r);
  EXPECT_EQ(**r, Reply::Bulk("hello"));
}

class RespMalformed : public ::testing::TestWithParam<const char*> {};

TEST_P(RespMalformed, IsAnInternalErrorAndSticky) {
  RespParser p;
  p.Feed(GetParam());
  auto r = p.Next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_NE(r.error().message.find("protocol error"), std::string::npos) << r.error().message;
  p.Feed("+OK\r\n");
  EXPECT_FALSE(p.Next().ok());
}

INSTANTIATE_TEST_SUITE_P(Inputs, RespMalformed,
                         ::testing::Values("?what\r\n", ":12x\r\n", ":\r\n", "$-2\r\n", "$abc\r\n",
                                           "$3\r\nabcd\r\n", "*-5\r\n", "$999999999999\r\n"));

TEST(RespParse, TooDeepNestingIsRejected) {
  std::string wire;
  for (size_t i = 0; i <= RespParser::kMaxDepth; ++i) wire += "*1\r\n";
  RespParser p;
  p.Feed(wire);
  EXPECT_FALSE(p.Next().ok());
}

TEST(RespParse, HeaderWithoutLineEndIsBoundedGarbage) {
  RespParser p;
  p.Feed("+" + std::string(70 * 1024, 'x'));
  EXPECT_FALSE(p.Next().ok());
}

// A reply is parsed into memory whole, so a server the fleet author chose
// could grow the operator without bound: every reply has a budget of
// elements and bytes, and going past it is a sticky, typed error.
Result<std::optional<Reply>> FeedUntilVerdict(RespParser& p, const std::string& unit,
                                              size_t max_bytes) {
  for (size_t fed = 0; fed < max_bytes; fed += unit.size()) {
    p.Feed(unit);
    auto r = p.Next();
    if (!r.ok() || *r) return r;
  }
  return std::optional<Reply>();
}

TEST(RespBudget, AnArrayClaimingMoreElementsThanTheBudgetIsRefusedAtItsHeader) {
  RespParser p;
  p.Feed("*4294967295\r\n");
  auto r = p.Next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("elements"), std::string::npos) << r.error().message;
  p.Feed(":1\r\n");
  EXPECT_FALSE(p.Next().ok());  // sticky
}

TEST(RespBudget, ElementsOfNestedArraysCountTowardsOneBudget) {
  RespParser p;
  p.Feed("*1000000\r\n");  // within the budget by itself
  std::string inner = "*1000\r\n";
  for (int i = 0; i < 1000; ++i) inner += ":1\r\n";
  auto r = FeedUntilVerdict(p, inner, 64u << 20);
  ASSERT_FALSE(r.ok()) << "an endless nest of arrays was taken in whole";
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
}

TEST(RespBudget, BytesOfOneReplyAreBounded) {
  RespParser p;
  p.Feed("*100000\r\n");
  const std::string bulk = "$1048576\r\n" + std::string(1 << 20, 'x') + "\r\n";
  auto r = FeedUntilVerdict(p, bulk, 256u << 20);
  ASSERT_FALSE(r.ok()) << "a reply of 256 MiB was taken in whole";
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("MiB"), std::string::npos) << r.error().message;
}

// Found by the fuzzer (tests/fuzz/sources/redis/resp_corpus/regression-*):
// simple strings, errors and integers were counted but never held to the byte
// budget, so a reply made of them passed whole when every read ended on an
// element boundary, and was refused when a read ended inside one.
TEST(RespBudget, SimpleStringsCountTowardsTheBytesHoweverTheReadsFall) {
  const std::string line = "+" + std::string(100, 'x') + "\r\n";  // 103 bytes
  const std::string reply = "*3\r\n" + line + line + line;        // 313 bytes
  for (size_t chunk : {reply.size(), line.size(), size_t{1}}) {
    RespParser p(RespLimits{.max_reply_bytes = 300});
    Result<std::optional<Reply>> r = std::optional<Reply>();
    for (size_t at = 0; at < reply.size() && r.ok() && !*r; at += chunk) {
      p.Feed(std::string_view(reply).substr(at, chunk));
      r = p.Next();
    }
    ASSERT_FALSE(r.ok()) << "a reply of 313 bytes passed a budget of 300 in reads of " << chunk;
    EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  }
  RespParser p(RespLimits{.max_reply_bytes = 313});
  p.Feed(reply);
  auto r = p.Next();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)->elements.size(), 3u) << "the budget counts the bytes on the wire, no more";
}

// A bulk string's length line and its CRLF are bytes on the wire too.
TEST(RespBudget, ABulkStringIsCountedWithItsFraming) {
  const std::string reply = "$100\r\n" + std::string(100, 'x') + "\r\n";  // 108 bytes
  RespParser over(RespLimits{.max_reply_bytes = 107});
  over.Feed(reply);
  EXPECT_FALSE(over.Next().ok());
  RespParser exact(RespLimits{.max_reply_bytes = 108});
  exact.Feed(reply);
  auto r = exact.Next();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)->str.size(), 100u);
}

// A line is refused past 64 KiB whether or not its CRLF has arrived yet.
TEST(RespParse, ALongLineIsRefusedEvenWhenComplete) {
  RespParser p;
  p.Feed("+" + std::string(70 * 1024, 'x') + "\r\n");
  auto r = p.Next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

TEST(RespBudget, TheBudgetIsPerReply) {
  RespParser p;
  std::string reply = "*1000\r\n";
  for (int i = 0; i < 1000; ++i) reply += "$3\r\nabc\r\n";
  for (int n = 0; n < 3000; ++n) {  // 3,000,000 elements in all, 1,000 a reply
    p.Feed(reply);
    auto r = p.Next();
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->elements.size(), 1000u);
  }
}

TEST(Reply, TypedAccessorsExplainMismatches) {
  EXPECT_EQ(*Reply::Integer(5).AsInteger(), 5);
  EXPECT_EQ(*Reply::Bulk("17").AsInteger(), 17);
  EXPECT_FALSE(Reply::Bulk("x17").AsInteger().ok());
  EXPECT_EQ(*Reply::Status("OK").AsString(), "OK");
  auto e = Reply::Nil().AsString();
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("nil"), std::string::npos);
  EXPECT_FALSE(Reply::ErrorReply("ERR x").AsInteger().ok());
}

TEST(Reply, DebugStringElidesLongValues) {
  std::vector<Reply> many(20, Reply::Integer(1));
  const std::string s = Reply::Array(many).DebugString();
  EXPECT_NE(s.find("20 elements"), std::string::npos) << s;
  EXPECT_LT(Reply::Bulk(std::string(1000, 'a')).DebugString().size(), 100u);
}

}  // namespace
}  // namespace agentfleet::sources::redis
