#include "controller/sources/queue/aws_credentials.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

namespace agentfleet::sources::queue {
namespace {

using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

// --- which source the chain picks, in the AWS SDKs' order ---

TEST(OperatorAwsCredentials, StaticKeysComeFirst) {
  Env env{{"AWS_ACCESS_KEY_ID", "AKIDTEST"},
          {"AWS_SECRET_ACCESS_KEY", "s3cr3t-value"},
          {"AWS_SESSION_TOKEN", "token-value"},
          {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
          {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent"},
          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"}};
  auto p = OperatorAwsCredentials(env);
  EXPECT_EQ(p->Describe(), "environment variables (AWS_ACCESS_KEY_ID)");
  auto c = p->Get();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDTEST");
  EXPECT_EQ(c->secret_access_key, "s3cr3t-value");
  EXPECT_EQ(c->session_token, "token-value");
}

TEST(OperatorAwsCredentials, WebIdentityBeforeContainerCredentials) {
  Env env{{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
          {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent"},
          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"}};
  EXPECT_EQ(OperatorAwsCredentials(env)->Describe(),
            "web identity (role arn:aws:iam::1:role/r, STS https://sts.amazonaws.com)");
  env.erase("AWS_ROLE_ARN");
  env.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  EXPECT_EQ(OperatorAwsCredentials(env)->Describe(),
            "container credentials (http://127.0.0.1:1/creds)");
  env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  EXPECT_EQ(OperatorAwsCredentials(env)->Describe(),
            "container credentials (http://169.254.170.2/v2/credentials/abc)")
      << "the relative URI wins over the full one";
}

TEST(OperatorAwsCredentials, StsAtItsVariableElseTheRegionsEndpoint) {
  Env env{{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}, {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"}};
  env["AWS_DEFAULT_REGION"] = "us-west-2";
  EXPECT_EQ(OperatorAwsCredentials(env)->Describe(),
            "web identity (role arn:aws:iam::1:role/r, STS https://sts.us-west-2.amazonaws.com)");
  env["AWS_REGION"] = "eu-west-1";
  EXPECT_EQ(OperatorAwsCredentials(env)->Describe(),
            "web identity (role arn:aws:iam::1:role/r, STS https://sts.eu-west-1.amazonaws.com)");
  env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:4566";
  EXPECT_EQ(OperatorAwsCredentials(env)->Describe(),
            "web identity (role arn:aws:iam::1:role/r, STS http://127.0.0.1:4566)");
}

TEST(OperatorAwsCredentials, NothingConfiguredIsNotFoundNamingTheVariables) {
  auto c = OperatorAwsCredentials({{"AWS_REGION", "eu-west-1"}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  for (const char* v :
       {"AWS_ACCESS_KEY_ID", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}) {
    EXPECT_NE(c.error().message.find(v), std::string::npos) << v;
  }
}

TEST(OperatorAwsCredentials, HalfConfiguredIsInvalidAndNeverEchoed) {
  for (const Env& env : std::vector<Env>{
           {{"AWS_SECRET_ACCESS_KEY", "only-the-secret-123"}},
           {{"AWS_ACCESS_KEY_ID", "AKIDTEST"}},
           {{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}},
           {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"}},
           {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/creds"},
            {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "only-the-token-456"}},
           {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://creds"}},
           {{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
            {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
            {"AWS_ENDPOINT_URL_STS", "sts.internal"}},
       }) {
    auto c = OperatorAwsCredentials(env)->Get();
    ASSERT_FALSE(c.ok()) << env.begin()->first;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << c.error().ToString();
    EXPECT_EQ(c.error().message.find("only-the-"), std::string::npos) << c.error().message;
  }
}

TEST(OperatorAwsCredentials, RegionFromAwsRegionThenDefault) {
  EXPECT_EQ(AwsRegionFromEnvironment(
                {{"AWS_REGION", "eu-central-1"}, {"AWS_DEFAULT_REGION", "us-west-2"}}),
            "eu-central-1");
  EXPECT_EQ(AwsRegionFromEnvironment({{"AWS_DEFAULT_REGION", "us-west-2"}}), "us-west-2");
  EXPECT_EQ(AwsRegionFromEnvironment({}), "");
}

TEST(OperatorAwsCredentials, AnUnreadableTokenFileIsAClearErrorOnUse) {
  auto p = OperatorAwsCredentials({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                   {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"}});
  auto c = p->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(c.error().message,
            "web identity (role arn:aws:iam::1:role/r, STS https://sts.amazonaws.com): cannot "
            "read the token file /nonexistent/token (AWS_WEB_IDENTITY_TOKEN_FILE)");
}

// --- caching and refresh, on the fake clock ---

class RefreshTest : public ::testing::Test {
 protected:
  // Each fetch takes the next scripted answer; lifetimes count from the fetch.
  RefreshingAwsCredentials Provider(std::chrono::seconds refresh_before = 5min) {
    return RefreshingAwsCredentials(
        "test source",
        [this]() -> Result<aws::TemporaryCredentials> {
          if (answers_.empty()) return MakeError(ErrorCode::kInternal, "no answer scripted");
          auto a = answers_.front();
          answers_.pop_front();
          return a();
        },
        clock_, refresh_before, 10s);
  }
  void Answer(const std::string& key, std::optional<std::chrono::seconds> lifetime) {
    answers_.push_back([this, key, lifetime]() -> Result<aws::TemporaryCredentials> {
      aws::TemporaryCredentials t{{key, "secret-" + key, "token-" + key}, std::nullopt};
      if (lifetime) t.expiration = clock_.WallNow() + *lifetime;
      return t;
    });
  }
  void Fail(ErrorCode code, const std::string& message) {
    answers_.push_back(
        [=]() -> Result<aws::TemporaryCredentials> { return MakeError(code, message); });
  }
  std::string KeyNow(RefreshingAwsCredentials& p) {
    auto c = p.Get();
    return c.ok() ? c->access_key_id : "error: " + c.error().message;
  }

  FakeClock clock_;
  std::deque<std::function<Result<aws::TemporaryCredentials>()>> answers_;
};

TEST_F(RefreshTest, CachedUntilFiveMinutesBeforeExpiryThenFetchedAgain) {
  auto p = Provider();
  Answer("A", 1h);
  Answer("B", 1h);
  EXPECT_EQ(KeyNow(p), "A");
  clock_.Advance(54min);
  EXPECT_EQ(KeyNow(p), "A");
  EXPECT_EQ(p.fetches(), 1) << "one fetch serves every signature until the refresh point";
  clock_.Advance(1min + 1s);  // 4:59 before expiry
  EXPECT_EQ(KeyNow(p), "B");
  EXPECT_EQ(p.fetches(), 2);
  clock_.Advance(54min);
  EXPECT_EQ(KeyNow(p), "B");
  EXPECT_EQ(p.fetches(), 2);
}

TEST_F(RefreshTest, AFailedRefreshKeepsValidCredentialsAndIsRetriedLater) {
  auto p = Provider();
  Answer("A", 15min);
  Fail(ErrorCode::kUnavailable, "STS is down");
  Answer("B", 15min);
  EXPECT_EQ(KeyNow(p), "A");
  clock_.Advance(11min);  // inside the refresh margin, still valid
  EXPECT_EQ(KeyNow(p), "A") << "still valid: used although the refresh failed";
  EXPECT_EQ(p.fetches(), 2);
  clock_.Advance(5s);
  EXPECT_EQ(KeyNow(p), "A");
  EXPECT_EQ(p.fetches(), 2) << "no retry before retry_after";
  clock_.Advance(5s);
  EXPECT_EQ(KeyNow(p), "B");
  EXPECT_EQ(p.fetches(), 3);
}

TEST_F(RefreshTest, ExpiredCredentialsAreNeverUsed) {
  auto p = Provider();
  Answer("A", 15min);
  Fail(ErrorCode::kUnauthorized, "token refused");
  EXPECT_EQ(KeyNow(p), "A");
  clock_.Advance(15min);  // expired now
  EXPECT_EQ(KeyNow(p), "error: test source: token refused");
  auto c = p.Get();  // within retry_after: the same error, no new fetch
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(p.fetches(), 2);
}

TEST_F(RefreshTest, ShortLivedCredentialsAreRenewedHalfwayAndUndatedOnesAfterTheMargin) {
  auto p = Provider();
  Answer("A", 2min);  // less than the 5-minute margin
  Answer("B", std::nullopt);
  Answer("C", std::nullopt);
  EXPECT_EQ(KeyNow(p), "A");
  clock_.Advance(59s);
  EXPECT_EQ(KeyNow(p), "A");
  clock_.Advance(1s);
  EXPECT_EQ(KeyNow(p), "B");
  clock_.Advance(4min + 59s);
  EXPECT_EQ(KeyNow(p), "B");
  clock_.Advance(1s);
  EXPECT_EQ(KeyNow(p), "C");
}

TEST(StaticAwsCredentials, AreWhatTheyAre) {
  auto p = StaticAwsCredentials({"AKID", "sk", ""}, "Secret shop/aws");
  EXPECT_EQ(p->Describe(), "Secret shop/aws");
  EXPECT_EQ(p->Get()->access_key_id, "AKID");
  auto f = FailingAwsCredentials(MakeError(ErrorCode::kNotFound, "nothing"), "where");
  EXPECT_EQ(f->Get().error().message, "where: nothing");
}

}  // namespace
}  // namespace agentfleet::sources::queue
