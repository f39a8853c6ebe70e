#include "examples/agent/task_message.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

TEST(ParseTaskMessage, ReadsTheFieldsAndTheVersion) {
  auto m = ParseTaskMessage(
      R"({"task":"t-1","product":"sku-42","price":1999,"version":"1733600000000-3","extra":[1]})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->task.id, "t-1");
  EXPECT_EQ(m->task.product, "sku-42");
  EXPECT_EQ(m->task.base_price, 1999);
  EXPECT_EQ(m->version, (results::TaskVersion{1733600000000, 3}));
  EXPECT_FALSE(m->enqueued);
}

TEST(ParseTaskMessage, PriceMayBeADecimalStringAndVersionAWholeNumber) {
  auto m = ParseTaskMessage(R"({"task":"t","product":"p","price":"250","version":17})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->task.base_price, 250);
  EXPECT_EQ(m->version, (results::TaskVersion{17, 0}));
}

TEST(ParseTaskMessage, WithoutAVersionTheTaskIsVersionZero) {
  auto m = ParseTaskMessage(R"({"task":"t","product":"p","price":0})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->version, (results::TaskVersion{0, 0}));
}

TEST(ParseTaskMessage, EnqueuedIsUnixMilliseconds) {
  auto m = ParseTaskMessage(R"({"task":"t","product":"p","price":1,"enqueued":1700000000123})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(m->enqueued);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(m->enqueued->time_since_epoch())
                .count(),
            1700000000123);
}

TEST(ParseTaskMessage, RoundTripsFormatTaskMessage) {
  Task t{"task-9", "prod \"quoted\" é", 10'000'000'000'000};
  auto m = ParseTaskMessage(FormatTaskMessage(t, {5, 6}));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->task.id, t.id);
  EXPECT_EQ(m->task.product, t.product);
  EXPECT_EQ(m->task.base_price, t.base_price);
  EXPECT_EQ(m->version, (results::TaskVersion{5, 6}));
}

struct Bad {
  const char* body;
  const char* says;
};

TEST(ParseTaskMessage, RefusesWhatIsNoTaskSayingWhy) {
  const Bad cases[] = {
      {"t-1 p 100", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"product":"p","price":1})", "task is missing"},
      {R"({"task":"t","price":1})", "product is missing"},
      {R"({"task":"t","product":"p"})", "price is missing"},
      {R"({"task":"t","product":"p","price":-1})", "price must be"},
      {R"({"task":"t","product":"p","price":1.5})", "price must be a string or an integer"},
      {R"({"task":"t","product":"p","price":"012"})", "price must be"},
      {R"({"task":"t","product":"p","price":10000000000001})", "price must be"},
      {R"({"task":7,"product":"p","price":1})", "task must be a string"},
      {R"({"task":"t","product":"p","price":1,"version":"x"})", "version must be"},
      {R"({"task":"t","product":"p","price":1,"version":-3})", "version must be"},
      {R"({"task":"t","product":"p","price":1,"version":18446744073709551615})", "version must be"},
      {R"({"task":"t","product":"p","price":1,"enqueued":"soon"})", "enqueued must be"},
  };
  for (const auto& c : cases) {
    auto m = ParseTaskMessage(c.body);
    ASSERT_FALSE(m.ok()) << c.body;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument) << c.body;
    EXPECT_NE(m.error().message.find(c.says), std::string::npos)
        << c.body << " → " << m.error().message;
  }
}

}  // namespace
}  // namespace agentfleet::agent
