#include "controller/sources/queue/redis_stream_depth.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::queue {
namespace {

using sources::redis::Reply;

// One group as Redis 7 describes it in XINFO GROUPS (RESP2: a flat array).
Reply Group(const std::string& name, int64_t pending, Reply lag) {
  return Reply::Array({Reply::Bulk("name"), Reply::Bulk(name), Reply::Bulk("consumers"),
                       Reply::Integer(1), Reply::Bulk("pending"), Reply::Integer(pending),
                       Reply::Bulk("last-delivered-id"), Reply::Bulk("5-0"),
                       Reply::Bulk("entries-read"), Reply::Integer(5), Reply::Bulk("lag"),
                       std::move(lag)});
}

TEST(RedisStreamDepthTest, CommandsAreXinfoGroupsThenXlen) {
  using C = std::vector<std::vector<std::string>>;
  EXPECT_EQ(redis_stream::Commands("tasks:3"),
            (C{{"XINFO", "GROUPS", "tasks:3"}, {"XLEN", "tasks:3"}}));
}

TEST(RedisStreamDepthTest, LagPlusPendingOfTheNamedGroup) {
  Reply groups = Reply::Array(
      {Group("other", 100, Reply::Integer(100)), Group("agents", 2, Reply::Integer(7))});
  EXPECT_EQ(*redis_stream::Depth(groups, Reply::Integer(40), "k", "agents"), 9);
}

// lag + pending from a server the fleet's author chose: a sum past 64 bits
// (or below) is an error, not a wrapped depth (undefined behaviour before).
TEST(RedisStreamDepthTest, LagPlusPendingPast64BitsIsAnError) {
  for (auto [pending, lag] :
       {std::pair<int64_t, int64_t>{1, INT64_MAX}, {INT64_MAX, INT64_MAX}, {-1, INT64_MIN}}) {
    Reply groups = Reply::Array({Group("agents", pending, Reply::Integer(lag))});
    auto d = redis_stream::Depth(groups, Reply::Integer(40), "k", "agents");
    ASSERT_FALSE(d.ok()) << pending << " + " << lag << " read as " << *d;
    EXPECT_EQ(d.error().code, ErrorCode::kInternal);
  }
}

TEST(RedisStreamDepthTest, MissingStreamIsZero) {
  EXPECT_EQ(*redis_stream::Depth(Reply::ErrorReply("ERR no such key"), Reply::Integer(0), "k", "g"),
            0);
}

TEST(RedisStreamDepthTest, MissingGroupIsTheWholeStream) {
  EXPECT_EQ(*redis_stream::Depth(Reply::Array({}), Reply::Integer(12), "k", "g"), 12);
  Reply groups = Reply::Array({Group("other", 1, Reply::Integer(1))});
  EXPECT_EQ(*redis_stream::Depth(groups, Reply::Integer(12), "k", "g"), 12);
}

TEST(RedisStreamDepthTest, UnknownLagFallsBackToTheStreamLength) {
  Reply nil_lag = Reply::Array({Group("g", 3, Reply::Nil())});
  EXPECT_EQ(*redis_stream::Depth(nil_lag, Reply::Integer(20), "k", "g"), 20);
  // A pre-7.0 server has no lag field at all.
  Reply no_lag = Reply::Array({Reply::Array(
      {Reply::Bulk("name"), Reply::Bulk("g"), Reply::Bulk("pending"), Reply::Integer(3)})});
  EXPECT_EQ(*redis_stream::Depth(no_lag, Reply::Integer(20), "k", "g"), 20);
}

TEST(RedisStreamDepthTest, EmptyGroupMeansLength) {
  EXPECT_EQ(*redis_stream::Depth(Reply::ErrorReply("ERR no such key"), Reply::Integer(4), "k", ""),
            4);
}

TEST(RedisStreamDepthTest, WrongTypeIsInvalidArgument) {
  auto d = redis_stream::Depth(
      Reply::ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value"),
      Reply::ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value"), "k",
      "g");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  auto l = redis_stream::Length(Reply::ErrorReply("WRONGTYPE x"), "k", "LLEN");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, ErrorCode::kInvalidArgument);
}

TEST(RedisStreamDepthTest, OtherFailuresAreTyped) {
  auto perm = redis_stream::Length(Reply::ErrorReply("NOPERM no permissions"), "k", "LLEN");
  ASSERT_FALSE(perm.ok());
  EXPECT_EQ(perm.error().code, ErrorCode::kForbidden);
  auto odd = redis_stream::Length(Reply::Bulk("nope"), "k", "LLEN");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, ErrorCode::kInternal);
  auto no_pending =
      redis_stream::Depth(Reply::Array({Reply::Array({Reply::Bulk("name"), Reply::Bulk("g")})}),
                          Reply::Integer(1), "k", "g");
  ASSERT_FALSE(no_pending.ok());
  EXPECT_EQ(no_pending.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace agentfleet::sources::queue
