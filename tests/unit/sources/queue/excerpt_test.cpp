#include "controller/sources/queue/excerpt.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::queue {
namespace {

TEST(ExcerptTest, CutsAndFlattens) {
  EXPECT_EQ(Excerpt("a\nb\r\nc"), "a b  c");
  EXPECT_EQ(Excerpt(std::string(300, 'x'), 10), "xxxxxxxxxx...");
}

}  // namespace
}  // namespace agentfleet::sources::queue
