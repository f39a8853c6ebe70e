#include "controller/kube/rest/list_sax.h"

#include <gtest/gtest.h>

#include <sstream>

namespace agentfleet::kube::rest {
namespace {

TEST(ListSax, HandsOverEachItemAndTheListMetadata) {
  std::istringstream in(R"({"kind":"PodList","apiVersion":"v1",
    "metadata":{"resourceVersion":"42","continue":"abc","remainingItemCount":3},
    "items":[
      {"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"c","ports":[1,2]}]}},
      {"metadata":{"name":"b","resourceVersion":"7"},"status":{"phase":"Running","ok":true,"n":null,"f":1.5}}
    ]})");
  std::vector<nlohmann::json> items;
  auto meta = ParseListStream(in, [&](nlohmann::json&& j) { items.push_back(std::move(j)); });
  ASSERT_TRUE(meta.ok()) << meta.error().ToString();
  EXPECT_EQ(meta->resource_version, "42");
  EXPECT_EQ(meta->continue_token, "abc");
  EXPECT_EQ(meta->items, 2u);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["metadata"]["labels"]["x"], "1");
  EXPECT_EQ(items[0]["spec"]["containers"][0]["ports"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(items[1]["metadata"]["resourceVersion"], "7") << "an item's fields are not the list's";
  EXPECT_EQ(items[1]["status"],
            nlohmann::json::parse(R"({"phase":"Running","ok":true,"n":null,"f":1.5})"));
}

TEST(ListSax, EmptyListAndNullItems) {
  std::istringstream in(R"({"metadata":{"resourceVersion":"1"},"items":null})");
  int n = 0;
  auto meta = ParseListStream(in, [&](nlohmann::json&&) { ++n; });
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(n, 0);
  EXPECT_EQ(meta->resource_version, "1");
}

// Each item (and each stretch between items) has a budget of bytes: a list
// of many items of any total size passes, one item past the budget is
// refused before it is read whole.
TEST(ListSax, EachItemHasAByteBudget) {
  std::string many = R"({"metadata":{"resourceVersion":"9"},"items":[)";
  for (int i = 0; i < 1000; ++i)
    many += std::string(i ? "," : "") + R"({"n":")" + std::string(500, 'x') + R"("})";
  many += "]}";
  std::istringstream ok_in(many);
  int n = 0;
  auto ok = ParseListStream(
      ok_in, [&](nlohmann::json&&) { ++n; }, 1024);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(n, 1000);

  std::istringstream big(R"({"metadata":{},"items":[{"a":1},{"n":")" + std::string(5000, 'x') +
                         R"("},{"b":2}]})");
  n = 0;
  auto refused = ParseListStream(
      big, [&](nlohmann::json&&) { ++n; }, 1024);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message.find("more than 1024 bytes"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(n, 1) << "the item before the big one was handed over";
  EXPECT_LT(big.tellg(), 3000) << "read on past the budget";

  std::istringstream meta(R"({"metadata":{"annotations":")" + std::string(5000, 'x') +
                          R"("},"items":[]})");
  auto long_meta = ParseListStream(
      meta, [](nlohmann::json&&) {}, 1024);
  ASSERT_FALSE(long_meta.ok());
  EXPECT_EQ(long_meta.error().code, ErrorCode::kResourceExhausted);
}

TEST(ListSax, TruncatedStreamIsAnError) {
  std::istringstream in(
      R"({"metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a"}},{"metad)");
  int n = 0;
  auto meta = ParseListStream(in, [&](nlohmann::json&&) { ++n; });
  ASSERT_FALSE(meta.ok());
  EXPECT_NE(meta.error().message.find("malformed list"), std::string::npos);
  EXPECT_EQ(n, 1) << "the complete item before the break was delivered";
}

}  // namespace
}  // namespace agentfleet::kube::rest
