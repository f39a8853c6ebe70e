#include "controller/sources/queue/aws_identity_protocol.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::queue::aws {
namespace {

using std::chrono::sys_days;
using namespace std::chrono;

// The answer of the STS API reference's example, with our own values.
constexpr const char* kStsAnswer =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:agentfleet:agentfleet</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/agentfleet/agentfleet-controller</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:agentfleet-controller</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzEP//////////wEaDA+b/s=&amp;tok</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2026-01-01T01:00:00Z</Expiration>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>agentfleet</SourceIdentity>
    <Provider>oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";

TEST(Iso8601, TheFormsTheEndpointsWrite) {
  const auto at = sys_days{2026y / 1 / 1} + 1h;
  EXPECT_EQ(ParseIso8601("2026-01-01T01:00:00Z"), at);
  EXPECT_EQ(ParseIso8601("2026-01-01T01:00:00.123Z"), at);
  EXPECT_EQ(ParseIso8601("2026-01-01T02:30:00+01:30"), at);
  EXPECT_EQ(ParseIso8601("2025-12-31T20:00:00-05:00"), at);
  for (const char* bad :
       {"", "2026-01-01", "2026-01-01T01:00:00", "2026-13-01T01:00:00Z", "2026-02-30T01:00:00Z",
        "2026-01-01T25:00:00Z", "2026-01-01T01:00:00Zx", "2026-01-01T01:00:00.Z", "tomorrow"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

TEST(XmlElementText, FindsDecodesAndRefusesWhatItDoesNotUnderstand) {
  EXPECT_EQ(XmlElementText("<a><Code>X &amp; &lt;Y&gt; &#65;&#x42;</Code></a>", "Code"),
            "X & <Y> AB");
  EXPECT_EQ(XmlElementText("<CodeName>no</CodeName><Code>yes</Code>", "Code"), "yes");
  EXPECT_EQ(XmlElementText(R"(<Code lang="en">with attribute</Code>)", "Code"), "with attribute");
  EXPECT_EQ(XmlElementText("<Code/>", "Code"), "");
  EXPECT_FALSE(XmlElementText("<Code>unterminated", "Code").has_value());
  EXPECT_FALSE(XmlElementText("<Other>x</Other>", "Code").has_value());
  EXPECT_FALSE(XmlElementText("<Code>&bogus;</Code>", "Code").has_value());
  EXPECT_FALSE(XmlElementText("<Code>&#0;</Code>", "Code").has_value());
}

TEST(StsRequest, IsAFormEncodedPostWithTheTokenInTheBody) {
  Url sts{"https", "sts.eu-west-1.amazonaws.com", 443, "/", "ignored=1"};
  HttpRequest r = AssumeRoleWithWebIdentityRequest(sts, "arn:aws:iam::123456789012:role/a b",
                                                   "agentfleet-controller", "eyJ.tok+en/=");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url.query, "") << "the token must not be in a URL";
  EXPECT_EQ(r.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa%20b"
            "&RoleSessionName=agentfleet-controller&WebIdentityToken=eyJ.tok%2Ben%2F%3D");
  bool form = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "Content-Type") form = value.starts_with("application/x-www-form-urlencoded");
    EXPECT_NE(name, "Authorization") << "AssumeRoleWithWebIdentity is not signed";
  }
  EXPECT_TRUE(form);
}

TEST(StsResponse, CredentialsAndTheirExpiry) {
  auto c = CredentialsFromStsResponse({200, {}, kStsAnswer}, "sts");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(c->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(c->credentials.session_token, "FwoGZXIvYXdzEP//////////wEaDA+b/s=&tok");
  EXPECT_EQ(c->expiration, sys_days{2026y / 1 / 1} + 1h);
}

TEST(StsResponse, ErrorsAreTypedAndQuoteOnlyCodeAndMessage) {
  struct Case {
    int status;
    const char* code;
    ErrorCode want;
  };
  for (const Case& c : std::vector<Case>{
           {400, "InvalidIdentityToken", ErrorCode::kUnauthorized},
           {400, "ExpiredTokenException", ErrorCode::kUnauthorized},
           {403, "AccessDenied", ErrorCode::kForbidden},
           {400, "IDPCommunicationError", ErrorCode::kUnavailable},
           {400, "Throttling", ErrorCode::kTooManyRequests},
           {503, "ServiceUnavailable", ErrorCode::kUnavailable},
       }) {
    const std::string body = std::string("<ErrorResponse><Error><Type>Sender</Type><Code>") +
                             c.code + "</Code><Message>Not authorized &amp; sorry</Message>" +
                             "</Error><RequestId>r</RequestId></ErrorResponse>";
    auto r = CredentialsFromStsResponse({c.status, {}, body}, "STS for role R");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.want) << c.code;
    EXPECT_EQ(r.error().message, "STS for role R: HTTP " + std::to_string(c.status) + " " + c.code +
                                     ": Not authorized & sorry");
  }
}

TEST(StsResponse, IncompleteAnswersAreRefused) {
  auto without = [](const std::string& element) {
    std::string body = kStsAnswer;
    const size_t at = body.find("<" + element + ">");
    const size_t end = body.find("</" + element + ">") + element.size() + 3;
    return body.erase(at, end - at);
  };
  for (const char* element :
       {"Credentials", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}) {
    auto r = CredentialsFromStsResponse({200, {}, without(element)}, "sts");
    ASSERT_FALSE(r.ok()) << element;
    EXPECT_EQ(r.error().code, ErrorCode::kInternal);
    EXPECT_EQ(r.error().message.find("wJalrXUtnFEMI"), std::string::npos) << r.error().message;
  }
  std::string bad_time = kStsAnswer;
  bad_time.replace(bad_time.find("2026-01-01T01:00:00Z"), 20, "soon");
  EXPECT_FALSE(CredentialsFromStsResponse({200, {}, bad_time}, "sts").ok());
  EXPECT_FALSE(CredentialsFromStsResponse({200, {}, "not xml at all"}, "sts").ok());
}

TEST(ContainerResponse, CredentialsErrorsAndOptionalExpiry) {
  auto c = CredentialsFromContainerResponse(
      {200,
       {},
       R"({"AccessKeyId":"ASIAC","SecretAccessKey":"sk","Token":"tk",
           "Expiration":"2026-01-01T01:00:00Z","RoleArn":"arn:aws:iam::1:role/r"})"},
      "container");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "ASIAC");
  EXPECT_EQ(c->credentials.secret_access_key, "sk");
  EXPECT_EQ(c->credentials.session_token, "tk");
  EXPECT_EQ(c->expiration, sys_days{2026y / 1 / 1} + 1h);

  auto no_expiry = CredentialsFromContainerResponse(
      {200, {}, R"({"AccessKeyId":"A","SecretAccessKey":"s"})"}, "container");
  ASSERT_TRUE(no_expiry.ok());
  EXPECT_FALSE(no_expiry->expiration.has_value());

  auto refused = CredentialsFromContainerResponse(
      {401, {}, R"({"code":"AccessDenied","message":"bad token"})"}, "container at X");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(refused.error().message, "container at X: HTTP 401 AccessDenied: bad token");

  EXPECT_FALSE(CredentialsFromContainerResponse({200, {}, "[]"}, "c").ok());
  EXPECT_FALSE(CredentialsFromContainerResponse({200, {}, R"({"AccessKeyId":"A"})"}, "c").ok());
  EXPECT_FALSE(CredentialsFromContainerResponse(
                   {200, {}, R"({"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"x"})"}, "c")
                   .ok());
}

TEST(ContainerEndpoint, HttpOnlyToLoopbackOrTheAgents) {
  auto allowed = [](const std::string& scheme, const std::string& host) {
    return ContainerEndpointAllowed(Url{scheme, host, 80, "/creds", ""});
  };
  EXPECT_TRUE(allowed("https", "creds.example.com"));
  for (const char* h : {"127.0.0.1", "127.8.9.10", "localhost", "::1", "169.254.170.2",
                        "169.254.170.23", "fd00:ec2::23"}) {
    EXPECT_TRUE(allowed("http", h)) << h;
  }
  for (const char* h :
       {"10.0.0.1", "169.254.169.254", "creds.example.com", "fd00:ec2::24", "128.0.0.1"}) {
    EXPECT_FALSE(allowed("http", h)) << h;
  }
}

}  // namespace
}  // namespace agentfleet::sources::queue::aws
