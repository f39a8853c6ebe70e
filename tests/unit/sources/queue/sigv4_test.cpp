#include "controller/sources/queue/sigv4.h"

#include <gtest/gtest.h>

namespace agentfleet::sources::queue {
namespace {

// AWS's published Signature V4 test suite (aws-sig-v4-test-suite): its
// credentials, date, region and service, and the expected values from the
// suite's .sts/.authz files.
const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};
const SigV4Scope kSuiteScope{"20150830T123600Z", "us-east-1", "service"};

SigV4Request SuiteGet(std::vector<std::pair<std::string, std::string>> query = {}) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  return r;
}

TEST(SigV4Test, EmptyPayloadHash) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, GetVanillaMatchesTheSuite) {
  const auto sig = SignV4(SuiteGet(), kSuiteCredentials, kSuiteScope);
  EXPECT_EQ(sig.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // get-vanilla.sts
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  // get-vanilla.authz
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, QueryParametersAreSortedAsInTheSuite) {
  // get-vanilla-query-order-key-case: Param2 given before Param1.
  const auto sig = SignV4(SuiteGet({{"Param2", "value2"}, {"Param1", "value1"}}), kSuiteCredentials,
                          kSuiteScope);
  EXPECT_NE(sig.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(sig.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, PostFormMatchesTheSuite) {
  // post-x-www-form-urlencoded: a signed Content-Type and a body.
  SigV4Request r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Host", "example.amazonaws.com"},
               {"X-Amz-Date", "20150830T123600Z"}};
  r.payload = "Param1=value1";
  const auto sig = SignV4(r, kSuiteCredentials, kSuiteScope);
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4Test, HeaderNamesAreLoweredSortedAndValuesTrimmed) {
  SigV4Request r = SuiteGet();
  r.headers.emplace_back("X-Amz-Target", "  AmazonSQS.GetQueueAttributes   now ");
  const std::string canonical = CanonicalRequest(r);
  EXPECT_NE(canonical.find("x-amz-target:AmazonSQS.GetQueueAttributes now\n"), std::string::npos);
  EXPECT_EQ(SignedHeaders(r), "host;x-amz-date;x-amz-target");
}

TEST(SigV4Test, ADifferentSecretGivesADifferentSignature) {
  AwsCredentials other = kSuiteCredentials;
  other.secret_access_key.back() = 'Z';
  EXPECT_NE(SignV4(SuiteGet(), other, kSuiteScope).signature,
            SignV4(SuiteGet(), kSuiteCredentials, kSuiteScope).signature);
}

TEST(SigV4Test, AmzDateIsUtcBasicFormat) {
  using namespace std::chrono;
  const sys_seconds t = sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
  EXPECT_EQ(AmzDate(t), "20150830T123600Z");
}

}  // namespace
}  // namespace agentfleet::sources::queue
