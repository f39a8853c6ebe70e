#include "controller/sources/queue/sqs_protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/base/clock.h"
#include "controller/sources/queue/sqs_source.h"

namespace agentfleet::sources::queue {
namespace {

HttpResponse Answer(int status, std::string body, HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(SqsProtocolTest, AttributeNamesFollowTheScaleOptions) {
  using V = std::vector<std::string>;
  EXPECT_EQ(sqs::AttributeNames(false, false), V{"ApproximateNumberOfMessages"});
  EXPECT_EQ(sqs::AttributeNames(true, false),
            (V{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}));
  EXPECT_EQ(sqs::AttributeNames(true, true),
            (V{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
               "ApproximateNumberOfMessagesDelayed"}));
  EXPECT_EQ(sqs::AttributeNames(false, true),
            (V{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"}));
}

TEST(SqsProtocolTest, ResolveQueueLocation) {
  auto url = ParseUrl("https://sqs.us-east-2.amazonaws.com/123456789012/tasks");
  ASSERT_TRUE(url.ok());
  auto w = sqs::ResolveQueueLocation(&*url, "", "");
  EXPECT_EQ(w.region, "us-east-2");
  EXPECT_EQ(w.endpoint, "https://sqs.us-east-2.amazonaws.com:443");
  w = sqs::ResolveQueueLocation(nullptr, "eu-west-1", "");
  EXPECT_EQ(w.endpoint, "https://sqs.eu-west-1.amazonaws.com");
  w = sqs::ResolveQueueLocation(&*url, "eu-west-1", "http://elasticmq:9324");
  EXPECT_EQ(w.region, "eu-west-1");
  EXPECT_EQ(w.endpoint, "http://elasticmq:9324");
  EXPECT_EQ(sqs::ResolveQueueLocation(nullptr, "", "http://e:1").region, "");
}

TEST(SqsProtocolTest, RegionFromHost) {
  EXPECT_EQ(sqs::RegionFromHost("sqs.eu-west-1.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(sqs::RegionFromHost("us-east-2.queue.amazonaws.com"), "us-east-2");
  EXPECT_EQ(sqs::RegionFromHost("127.0.0.1"), "");
  EXPECT_EQ(sqs::RegionFromHost("sqs.amazonaws.com"), "");
  EXPECT_EQ(sqs::RegionFromHost("evil.sqs.eu-west-1.amazonaws.com.example"), "");
}

TEST(SqsProtocolTest, SignedCallCarriesTargetSignatureAndToken) {
  auto url = ParseUrl("http://127.0.0.1:9324/ignored?x=1");
  ASSERT_TRUE(url.ok());
  AwsCredentials creds{"AKIDTEST", "the-secret-key-1234", "session-token-5678"};
  auto req =
      sqs::SignedCall(*url, "GetQueueAttributes", "{}", creds, "us-east-1", "20260101T000000Z");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url.path, "/");
  EXPECT_EQ(req.url.query, "");
  HttpResponse as_headers;
  as_headers.headers = req.headers;
  EXPECT_EQ(as_headers.Header("x-amz-target"), "AmazonSQS.GetQueueAttributes");
  EXPECT_EQ(as_headers.Header("content-type"), "application/x-amz-json-1.0");
  EXPECT_EQ(as_headers.Header("x-amz-security-token"), "session-token-5678");
  const std::string auth = as_headers.Header("authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/sqs/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;"
                       "x-amz-target, Signature=",
                       0),
            0u)
      << auth;
  // The secret key signs; it never travels.
  for (const auto& [n, v] : req.headers)
    EXPECT_EQ(v.find("the-secret-key-1234"), std::string::npos);
  EXPECT_EQ(req.body.find("the-secret-key-1234"), std::string::npos);
}

TEST(SqsProtocolTest, RequestBodies) {
  auto attrs = nlohmann::json::parse(
      sqs::GetQueueAttributesBody("http://h/000/q", {"ApproximateNumberOfMessages"}));
  EXPECT_EQ(attrs["QueueUrl"], "http://h/000/q");
  EXPECT_EQ(attrs["AttributeNames"][0], "ApproximateNumberOfMessages");
  auto url = nlohmann::json::parse(sqs::GetQueueUrlBody("orders", "123456789012"));
  EXPECT_EQ(url["QueueName"], "orders");
  EXPECT_EQ(url["QueueOwnerAWSAccountId"], "123456789012");
  EXPECT_FALSE(
      nlohmann::json::parse(sqs::GetQueueUrlBody("orders", "")).contains("QueueOwnerAWSAccountId"));
}

TEST(SqsProtocolTest, DepthSumsTheRequestedAttributes) {
  auto r = Answer(200, R"({"Attributes":{"ApproximateNumberOfMessages":"5",
      "ApproximateNumberOfMessagesNotVisible":"2","ApproximateNumberOfMessagesDelayed":"7"}})");
  EXPECT_EQ(*sqs::DepthFromResponse(r, sqs::AttributeNames(false, false), "q"), 5);
  EXPECT_EQ(*sqs::DepthFromResponse(r, sqs::AttributeNames(true, false), "q"), 7);
  EXPECT_EQ(*sqs::DepthFromResponse(r, sqs::AttributeNames(true, true), "q"), 14);
}

TEST(SqsProtocolTest, MissingOrMalformedAttributesAreInternal) {
  for (const char* body :
       {R"({"Attributes":{}})", R"({"Attributes":{"ApproximateNumberOfMessages":"x"}})",
        R"({"Attributes":{"ApproximateNumberOfMessages":"-1"}})", "not json", R"({"Other":1})"}) {
    auto d = sqs::DepthFromResponse(Answer(200, body), sqs::AttributeNames(false, false), "q");
    ASSERT_FALSE(d.ok()) << body;
    EXPECT_EQ(d.error().code, ErrorCode::kInternal) << body;
  }
}

// Each count may be valid and their sum still past 64 bits: a server the
// fleet's author chose may answer anything, and the sum was undefined
// behaviour (it wrapped to a negative depth).
TEST(SqsProtocolTest, ASumPast64BitsIsAnErrorNotAWrappedDepth) {
  auto r = Answer(200, R"({"Attributes":{"ApproximateNumberOfMessages":"9223372036854775807",
      "ApproximateNumberOfMessagesNotVisible":"1"}})");
  auto d = sqs::DepthFromResponse(r, sqs::AttributeNames(true, false), "q");
  ASSERT_FALSE(d.ok()) << "read as " << *d;
  EXPECT_EQ(d.error().code, ErrorCode::kInternal);
  EXPECT_NE(d.error().message.find("overflow"), std::string::npos) << d.error().message;
}

struct ErrorCase {
  int status;
  std::string body;
  HttpHeaders headers;
  ErrorCode want;
};

TEST(SqsProtocolTest, ErrorsAreTyped) {
  const std::vector<ErrorCase> cases = {
      {400,
       R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})",
       {},
       ErrorCode::kNotFound},
      {400,
       R"({"Message":"gone","__type":"x"})",
       {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}},
       ErrorCode::kNotFound},
      {400,
       R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."})",
       {},
       ErrorCode::kUnauthorized},
      {403,
       R"({"__type":"com.amazon.coral.service#InvalidClientTokenId"})",
       {},
       ErrorCode::kUnauthorized},
      {400,
       R"({"__type":"com.amazon.coral.service#SignatureDoesNotMatch"})",
       {},
       ErrorCode::kUnauthorized},
      {400,
       R"({"__type":"com.amazon.coral.service#ExpiredTokenException"})",
       {},
       ErrorCode::kUnauthorized},
      {400,
       R"({"__type":"com.amazon.coral.service#AccessDeniedException"})",
       {},
       ErrorCode::kForbidden},
      {403, "<html>denied</html>", {}, ErrorCode::kForbidden},
      {400,
       R"({"__type":"com.amazon.coral.availability#ThrottlingException"})",
       {},
       ErrorCode::kTooManyRequests},
      {429, "", {}, ErrorCode::kTooManyRequests},
      {500, R"({"__type":"InternalError"})", {}, ErrorCode::kUnavailable},
      {503, "", {}, ErrorCode::kUnavailable},
      {400,
       R"({"__type":"com.amazonaws.sqs#InvalidAttributeName"})",
       {},
       ErrorCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto d = sqs::DepthFromResponse(Answer(c.status, c.body, c.headers),
                                    sqs::AttributeNames(true, false), "sqs queue q1");
    ASSERT_FALSE(d.ok()) << c.body;
    EXPECT_EQ(d.error().code, c.want) << c.status << " " << c.body << " -> " << d.error().message;
    EXPECT_NE(d.error().message.find("sqs queue q1"), std::string::npos);
  }
}

TEST(SqsProtocolTest, QueueUrlFromResponse) {
  EXPECT_EQ(*sqs::QueueUrlFromResponse(Answer(200, R"({"QueueUrl":"http://h/1/q"})"), "q"),
            "http://h/1/q");
  EXPECT_EQ(sqs::QueueUrlFromResponse(Answer(200, "{}"), "q").error().code, ErrorCode::kInternal);
  EXPECT_EQ(sqs::QueueUrlFromResponse(
                Answer(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})"), "q")
                .error()
                .code,
            ErrorCode::kNotFound);
}

SqsConfig ValidConfig() {
  SqsConfig c;
  c.queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders";
  c.credentials = {"AKIDTEST", "secret-for-config-test", ""};
  return c;
}

TEST(SqsSourceConfigTest, TakesTheRegionFromTheQueueUrl) {
  auto s = MakeSqsSource(ValidConfig());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->Describe(),
            "sqs queue https://sqs.eu-west-1.amazonaws.com/123456789012/orders at "
            "https://sqs.eu-west-1.amazonaws.com:443 (eu-west-1)");
}

TEST(SqsSourceConfigTest, QueueNameUsesTheRegionalEndpointOrTheOverride) {
  SqsConfig c = ValidConfig();
  c.queue_url.clear();
  c.queue_name = "orders";
  c.region = "ap-south-1";
  auto s = MakeSqsSource(c);
  ASSERT_TRUE(s.ok());
  EXPECT_NE((*s)->Describe().find("https://sqs.ap-south-1.amazonaws.com:443"), std::string::npos);
  c.endpoint = "http://127.0.0.1:9324";
  s = MakeSqsSource(c);
  ASSERT_TRUE(s.ok());
  EXPECT_NE((*s)->Describe().find("http://127.0.0.1:9324"), std::string::npos);
}

TEST(SqsSourceConfigTest, RejectsConfigurationsThatCannotWork) {
  std::vector<SqsConfig> bad;
  bad.push_back(ValidConfig());
  bad.back().queue_name = "both";
  bad.push_back(ValidConfig());
  bad.back().queue_url.clear();
  bad.push_back(ValidConfig());
  bad.back().credentials.secret_access_key.clear();
  bad.push_back(ValidConfig());
  bad.back().credentials.access_key_id.clear();
  bad.push_back(ValidConfig());
  bad.back().queue_url = "http://127.0.0.1:9324/000/q";  // no region anywhere
  bad.push_back(ValidConfig());
  bad.back().endpoint = "127.0.0.1:9324";
  bad.push_back(ValidConfig());
  bad.back().timeout = std::chrono::milliseconds(0);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto s = MakeSqsSource(bad[i]);
    ASSERT_FALSE(s.ok()) << i;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << i;
    EXPECT_EQ(s.error().message.find("secret-for-config-test"), std::string::npos);
  }
}

}  // namespace
}  // namespace agentfleet::sources::queue
