#include "controller/sources/queue/source_config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace agentfleet::sources::queue {
namespace {

class AwsEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kVars) unsetenv(v);
  }
  void TearDown() override {
    for (const char* v : kVars) unsetenv(v);
  }
  static constexpr const char* kVars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                          "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"};
};

TEST_F(AwsEnvTest, ReadsAllVariables) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value", 1);
  setenv("AWS_SESSION_TOKEN", "token-value", 1);
  setenv("AWS_REGION", "eu-central-1", 1);
  setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
  auto env = AwsEnvironmentFromEnv();
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(env->credentials.access_key_id, "AKIDTEST");
  EXPECT_EQ(env->credentials.secret_access_key, "s3cr3t-value");
  EXPECT_EQ(env->credentials.session_token, "token-value");
  EXPECT_EQ(env->region, "eu-central-1");
}

TEST_F(AwsEnvTest, FallsBackToDefaultRegionAndNoToken) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value", 1);
  setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
  auto env = AwsEnvironmentFromEnv();
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->region, "us-west-2");
  EXPECT_TRUE(env->credentials.session_token.empty());
}

TEST_F(AwsEnvTest, MissingKeysIsNotFound) {
  auto env = AwsEnvironmentFromEnv();
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code, ErrorCode::kNotFound);
}

TEST_F(AwsEnvTest, HalfAPairIsInvalidAndNotEchoed) {
  setenv("AWS_SECRET_ACCESS_KEY", "only-the-secret-123", 1);
  auto env = AwsEnvironmentFromEnv();
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(env.error().message.find("only-the-secret-123"), std::string::npos);
}

}  // namespace
}  // namespace agentfleet::sources::queue
