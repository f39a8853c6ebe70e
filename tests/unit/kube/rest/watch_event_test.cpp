#include "controller/kube/rest/watch_event.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::rest {
namespace {

TEST(WatchEvent, DecodesTypeAndObject) {
  auto ev = ParseWatchEvent(R"({"type":"MODIFIED","object":{"metadata":{"name":"p"}}})"
                            "\r",
                            "watch pods");
  ASSERT_TRUE(ev.ok()) << ev.error().ToString();
  EXPECT_EQ(ev->type, "MODIFIED");
  EXPECT_EQ(ev->object["metadata"]["name"], "p");
}

TEST(WatchEvent, AnEventWithoutObjectHasANullObject) {
  auto ev = ParseWatchEvent(R"({"type":"BOOKMARK"})", "watch pods");
  ASSERT_TRUE(ev.ok());
  EXPECT_TRUE(ev->object.is_null());
}

TEST(WatchEvent, MalformedLinesAreErrorsNamingTheWatch) {
  for (const char* line : {"", "{", "[]", R"("ADDED")", R"({"object":{}})", R"({"type":1})",
                           R"({"type":"ADDED"} trailing)"}) {
    auto ev = ParseWatchEvent(line, "watch pods");
    ASSERT_FALSE(ev.ok()) << line;
    EXPECT_EQ(ev.error().code, ErrorCode::kInternal);
    EXPECT_EQ(ev.error().message, "watch pods: malformed watch event");
  }
}

}  // namespace
}  // namespace agentfleet::kube::rest
