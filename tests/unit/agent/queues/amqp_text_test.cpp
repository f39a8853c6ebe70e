#include "examples/agent/queues/amqp_text.h"

#include <amqp.h>
#include <gtest/gtest.h>

namespace agentfleet::agent::queues {
namespace {

TEST(AmqpTextTest, ReplyCodes) {
  EXPECT_EQ(ErrorCodeOfReply(404), ErrorCode::kNotFound);
  EXPECT_EQ(ErrorCodeOfReply(403), ErrorCode::kForbidden);
  EXPECT_EQ(ErrorCodeOfReply(403, true), ErrorCode::kUnauthorized);
  EXPECT_EQ(ErrorCodeOfReply(530, true), ErrorCode::kForbidden);
  EXPECT_EQ(ErrorCodeOfReply(406), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOfReply(405), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOfReply(320), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeOfReply(506), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeOfReply(541), ErrorCode::kInternal);
}

TEST(AmqpTextTest, LibraryStatuses) {
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_TIMEOUT), ErrorCode::kTimeout);
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_HEARTBEAT_TIMEOUT), ErrorCode::kTimeout);
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_SOCKET_ERROR), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_CONNECTION_CLOSED), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_SSL_PEER_VERIFY_FAILED), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_NO_MEMORY), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeOfStatus(AMQP_STATUS_BAD_AMQP_DATA), ErrorCode::kInternal);
}

TEST(AmqpTextTest, HeaderTextCutsOnCharacterBoundaries) {
  EXPECT_EQ(HeaderText("price must be an integer", 100), "price must be an integer");
  EXPECT_EQ(HeaderText("abcdef", 3), "abc");
  // "é" is two bytes: a cut in its middle drops it whole.
  EXPECT_EQ(HeaderText("ab\xC3\xA9", 3), "ab");
  EXPECT_EQ(HeaderText("ab\xC3\xA9", 4), "ab\xC3\xA9");
  EXPECT_EQ(HeaderText("\xF0\x9F\x98\x80!", 4), "\xF0\x9F\x98\x80");
  EXPECT_EQ(HeaderText("", 10), "");
}

TEST(AmqpTextTest, HeaderTextReplacesInvalidSequences) {
  EXPECT_EQ(HeaderText("a\xFF"
                       "b",
                       10),
            "a?b");
  EXPECT_EQ(HeaderText("\xC3", 10), "?") << "truncated sequence";
  EXPECT_EQ(HeaderText("\xC0\xAF", 10), "??") << "overlong";
  EXPECT_EQ(HeaderText("\xED\xA0\x80", 10), "???") << "surrogate";
  EXPECT_EQ(HeaderText("\xF4\x90\x80\x80", 10), "????") << "above U+10FFFF";
}

}  // namespace
}  // namespace agentfleet::agent::queues
