#include "examples/agent/stream_reply.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

using sources::redis::Reply;

Reply Entry(const std::string& id, std::vector<std::string> kv) {
  std::vector<Reply> fields;
  for (auto& s : kv) fields.push_back(Reply::Bulk(s));
  return Reply::Array({Reply::Bulk(id), Reply::Array(std::move(fields))});
}

TEST(ParseReadGroupReply, TimeoutIsEmpty) {
  auto r = ParseReadGroupReply(Reply::Nil());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ParseReadGroupReply, StreamsAndEntries) {
  Reply reply = Reply::Array(
      {Reply::Array(
           {Reply::Bulk("q:1"), Reply::Array({Entry("1-0", {"task", "a", "price", "5"}),
                                              Reply::Array({Reply::Bulk("2-0"), Reply::Nil()})})}),
       Reply::Array({Reply::Bulk("q:2"), Reply::Array({Entry("3-0", {})})})});
  auto r = ParseReadGroupReply(reply);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].key, "q:1");
  ASSERT_EQ((*r)[0].entries.size(), 1u);  // the deleted entry is skipped
  EXPECT_EQ((*r)[0].entries[0].id, "1-0");
  EXPECT_EQ((*r)[0].entries[0].fields[1], (std::pair<std::string, std::string>{"price", "5"}));
  EXPECT_EQ((*r)[1].entries[0].id, "3-0");
}

TEST(ParseReadGroupReply, RejectsOddShapes) {
  EXPECT_FALSE(ParseReadGroupReply(Reply::Integer(1)).ok());
  EXPECT_FALSE(ParseReadGroupReply(Reply::Array({Reply::Bulk("q")})).ok());
  EXPECT_FALSE(ParseReadGroupReply(Reply::Array({Reply::Array(
                                       {Reply::Bulk("q"), Reply::Array({Entry("1-0", {"odd"})})})}))
                   .ok());
}

TEST(ParseAutoClaimReply, Redis7Shape) {
  Reply reply = Reply::Array({Reply::Bulk("0-0"), Reply::Array({Entry("5-1", {"task", "x"})}),
                              Reply::Array({Reply::Bulk("4-0")})});
  auto r = ParseAutoClaimReply(reply);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_cursor, "0-0");
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_EQ(r->entries[0].id, "5-1");
  EXPECT_FALSE(ParseAutoClaimReply(Reply::Nil()).ok());
}

}  // namespace
}  // namespace agentfleet::agent
