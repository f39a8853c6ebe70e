#include "controller/kube/meta/json_fields.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::meta {
namespace {

TEST(StringField, ReadsAStringMember) {
  EXPECT_EQ(StringField(nlohmann::json{{"name", "pricing-0"}}, "name"), "pricing-0");
}

TEST(StringField, AnythingElseIsEmptyNeverAnException) {
  EXPECT_EQ(StringField(nlohmann::json{{"name", 7}}, "name"), "");
  EXPECT_EQ(StringField(nlohmann::json{{"other", "x"}}, "name"), "");
  EXPECT_EQ(StringField(nlohmann::json::array({"name"}), "name"), "");
  EXPECT_EQ(StringField(nlohmann::json("name"), "name"), "");
  EXPECT_EQ(StringField(nlohmann::json(), "name"), "");
}

}  // namespace
}  // namespace agentfleet::kube::meta
