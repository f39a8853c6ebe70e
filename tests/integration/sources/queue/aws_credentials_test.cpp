// Workload identity end to end: the operator's AWS identity from a projected
// web identity token (STS AssumeRoleWithWebIdentity) or from a container
// credentials endpoint (ECS task roles, EKS Pod Identity), each served here by
// a small loopback responder that speaks the documented protocol and checks
// what it is sent; the temporary credentials then sign real SQS calls to
// ElasticMQ (fixture `elasticmq`) through a proxy that checks every request
// carries the session token and a signature made with the temporary secret
// (ElasticMQ itself checks no signature).
#include "controller/sources/queue/aws_credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/sigv4.h"
#include "controller/sources/queue/sqs_protocol.h"
#include "controller/sources/queue/sqs_source.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::sources::queue {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::ExpectNoSecret;
using testing::ScriptedHttpServer;
using testing::UniqueToken;
using Reply = ScriptedHttpServer::Reply;

constexpr const char* kRole = "arn:aws:iam::123456789012:role/agentfleet-controller";

// The request line, headers (names lower-cased) and body of a raw request.
struct Request {
  std::string method, target;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Request Parse(const std::string& raw) {
  Request r;
  const size_t end = raw.find("\r\n\r\n");
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  std::istringstream first(line);
  first >> r.method >> r.target;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    r.headers[name] = line.substr(v);
  }
  if (end != std::string::npos) r.body = raw.substr(end + 4);
  return r;
}

std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> out;
  std::istringstream in(body);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    const size_t eq = pair.find('=');
    std::string value = pair.substr(eq + 1), decoded;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '%' && i + 2 < value.size()) {
        decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += value[i] == '+' ? ' ' : value[i];
      }
    }
    out[pair.substr(0, eq)] = decoded;
  }
  return out;
}

std::string Iso8601(Clock::Wall t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Temporary credentials as STS or an endpoint issues them: unique each time.
AwsCredentials Issue() {
  return {"ASIA" + UniqueToken("key"), UniqueToken("temp-secret"),
          "IQoJb3JpZ2luX2VjE/" + UniqueToken("session-token") + "+Zz=="};
}

std::string WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::trunc) << content << "\n";
  return path;
}

// An STS-compatible responder: AssumeRoleWithWebIdentity only, as the STS API
// reference documents it (form-encoded POST, XML answer, ErrorResponse on
// refusal). It accepts exactly the token it is told to.
class StsResponder {
 public:
  explicit StsResponder(const Clock& clock)
      : clock_(clock), server_([this](const std::string& raw) { return Answer(raw); }) {}
  std::string url() const { return server_.url(); }
  void Accept(const std::string& token) {
    std::lock_guard lock(mu_);
    token_ = token;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::map<std::string, std::string> last_form() const {
    std::lock_guard lock(mu_);
    return last_form_;
  }
  AwsCredentials issued() const {
    std::lock_guard lock(mu_);
    return issued_;
  }

 private:
  Reply Answer(const std::string& raw) {
    std::lock_guard lock(mu_);
    ++calls_;
    const Request r = Parse(raw);
    last_form_ = Form(r.body);
    auto error = [](int status, const std::string& code, const std::string& message) {
      return Reply{status,
                   "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                   "<Type>Sender</Type><Code>" +
                       code + "</Code><Message>" + message +
                       "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
                   "text/xml"};
    };
    if (r.method != "POST" || r.target != "/" ||
        r.Header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      return error(400, "InvalidAction", "expected a form POST to /");
    }
    if (!r.Header("authorization").empty()) {
      return error(400, "InvalidRequest", "AssumeRoleWithWebIdentity is not signed");
    }
    if (last_form_["Action"] != "AssumeRoleWithWebIdentity" ||
        last_form_["Version"] != "2011-06-15") {
      return error(400, "InvalidAction", "unknown action");
    }
    if (last_form_["RoleArn"] != kRole) return error(403, "AccessDenied", "not that role");
    if (last_form_["WebIdentityToken"] != token_) {
      return error(400, "InvalidIdentityToken", "Couldn't retrieve verification key");
    }
    issued_ = Issue();
    const std::string expiration = Iso8601(clock_.WallNow() + 1h);
    return Reply{200,
                 "<AssumeRoleWithWebIdentityResponse "
                 "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                 "<AssumeRoleWithWebIdentityResult>"
                 "<SubjectFromWebIdentityToken>system:serviceaccount:agentfleet:agentfleet"
                 "</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>"
                 "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/x/" +
                     last_form_["RoleSessionName"] +
                     "</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>"
                     "<Credentials><SessionToken>" +
                     issued_.session_token + "</SessionToken><SecretAccessKey>" +
                     issued_.secret_access_key + "</SecretAccessKey><Expiration>" + expiration +
                     "</Expiration><AccessKeyId>" + issued_.access_key_id +
                     "</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
                     "<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>"
                     "</AssumeRoleWithWebIdentityResponse>",
                 "text/xml"};
  }

  const Clock& clock_;
  mutable std::mutex mu_;
  std::string token_;
  int calls_ = 0;
  std::map<std::string, std::string> last_form_;
  AwsCredentials issued_;
  ScriptedHttpServer server_;  // last: it answers through the members above
};

// A container credentials endpoint (the ECS agent's, EKS Pod Identity's):
// GET with the Authorization token, JSON answer.
class ContainerResponder {
 public:
  ContainerResponder(const Clock& clock, std::string path)
      : clock_(clock),
        path_(std::move(path)),
        server_([this](const std::string& raw) { return Answer(raw); }) {}
  std::string url() const { return server_.url(); }
  void Accept(const std::string& token) {
    std::lock_guard lock(mu_);
    token_ = token;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::string last_authorization() const {
    std::lock_guard lock(mu_);
    return last_authorization_;
  }
  AwsCredentials issued() const {
    std::lock_guard lock(mu_);
    return issued_;
  }

 private:
  Reply Answer(const std::string& raw) {
    std::lock_guard lock(mu_);
    ++calls_;
    const Request r = Parse(raw);
    last_authorization_ = r.Header("authorization");
    if (r.method != "GET" || r.target != path_) {
      return {404, R"({"code":"NotFound","message":"no such path"})"};
    }
    if (last_authorization_ != token_) {
      return {401, R"({"code":"AccessDeniedException","message":"invalid token"})"};
    }
    issued_ = Issue();
    return {200, json{{"AccessKeyId", issued_.access_key_id},
                      {"SecretAccessKey", issued_.secret_access_key},
                      {"Token", issued_.session_token},
                      {"AccountId", "123456789012"},
                      {"Expiration", Iso8601(clock_.WallNow() + 6h)}}
                     .dump()};
  }

  const Clock& clock_;
  const std::string path_;
  mutable std::mutex mu_;
  std::string token_;
  int calls_ = 0;
  std::string last_authorization_;
  AwsCredentials issued_;
  ScriptedHttpServer server_;
};

// Between the SQS source and ElasticMQ: every request must carry the session
// token of `expected()` and a SigV4 signature made with its secret key, else
// it is refused as AWS would; accepted ones are forwarded.
class VerifyingSqsProxy {
 public:
  using Expected = std::function<AwsCredentials()>;
  VerifyingSqsProxy(std::string upstream, Expected expected)
      : upstream_(std::move(upstream)),
        expected_(std::move(expected)),
        server_([this](const std::string& raw) { return Answer(raw); }) {}
  std::string url() const { return server_.url(); }
  int verified() const {
    std::lock_guard lock(mu_);
    return verified_;
  }
  std::vector<std::string> refusals() const {
    std::lock_guard lock(mu_);
    return refusals_;
  }

 private:
  Reply Refuse(const std::string& why) {
    refusals_.push_back(why);
    return {403, json{{"__type", "com.amazonaws.sqs#InvalidSecurity"}, {"message", why}}.dump()};
  }

  Reply Answer(const std::string& raw) {
    std::lock_guard lock(mu_);
    const Request r = Parse(raw);
    const AwsCredentials want = expected_();
    if (r.Header("x-amz-security-token") != want.session_token) {
      return Refuse("X-Amz-Security-Token is not the temporary session token");
    }
    // AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/sqs/aws4_request, SignedHeaders=...,
    // Signature=...
    const std::string auth = r.Header("authorization");
    auto field = [&](const std::string& name) {
      const size_t at = auth.find(name + "=");
      if (at == std::string::npos) return std::string();
      const size_t from = at + name.size() + 1;
      return auth.substr(from, auth.find_first_of(", ", from) - from);
    };
    const std::string credential = field("Credential");
    if (credential.rfind(want.access_key_id + "/", 0) != 0) {
      return Refuse("signed with another access key id");
    }
    SigV4Request to_sign;
    to_sign.method = r.method;
    to_sign.path = r.target;
    std::istringstream names(field("SignedHeaders"));
    std::string name;
    bool token_signed = false;
    while (std::getline(names, name, ';')) {
      to_sign.headers.emplace_back(name, r.Header(name));
      token_signed |= name == "x-amz-security-token";
    }
    if (!token_signed) return Refuse("the session token is not among the signed headers");
    to_sign.payload = r.body;
    std::istringstream scope(credential);
    std::string part;
    std::vector<std::string> parts;
    while (std::getline(scope, part, '/')) parts.push_back(part);
    if (parts.size() != 5) return Refuse("malformed credential scope");
    const auto sig = SignV4(to_sign, want, SigV4Scope{r.Header("x-amz-date"), parts[2], parts[3]});
    if (sig.signature != field("Signature")) {
      return Refuse("the signature was not made with the temporary secret key");
    }
    ++verified_;
    auto url = ParseUrl(upstream_);
    HttpRequest forward;
    forward.method = r.method;
    forward.url = *url;
    forward.headers = {{"Content-Type", r.Header("content-type")},
                       {"X-Amz-Target", r.Header("x-amz-target")}};
    forward.body = r.body;
    auto answer = HttpFetch(forward, {}, 5s);
    if (!answer.ok()) return {502, answer.error().message};
    return {answer->status, answer->body};
  }

  const std::string upstream_;
  const Expected expected_;
  mutable std::mutex mu_;
  int verified_ = 0;
  std::vector<std::string> refusals_;
  ScriptedHttpServer server_;
};

class AwsIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    elasticmq_ = testing::FixtureFile("AGENTFLEET_ELASTICMQ_DIR", "url");
    ASSERT_FALSE(elasticmq_.empty());
    dir_ = ::testing::TempDir() + "/aws-identity-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A queue on ElasticMQ with `n` messages, made without the source.
  std::string QueueWith(int n) {
    auto url = ParseUrl(elasticmq_);
    const AwsCredentials setup{"AKIDSETUP", "setup-secret", ""};
    auto call = [&](const std::string& action, const json& body) {
      auto res = HttpFetch(sqs::SignedCall(*url, action, body.dump(), setup, "us-east-1",
                                           AmzDate(std::chrono::system_clock::now())),
                           {}, 5s);
      EXPECT_TRUE(res.ok() && res->status == 200) << action;
      return res.ok() ? json::parse(res->body, nullptr, false) : json();
    };
    const std::string q =
        call("CreateQueue", {{"QueueName", UniqueToken("wi")}})["QueueUrl"].get<std::string>();
    for (int i = 0; i < n; ++i) call("SendMessage", {{"QueueUrl", q}, {"MessageBody", "t"}});
    return q;
  }

  std::unique_ptr<QueueSource> Source(const std::string& queue_url, const std::string& endpoint,
                                      std::shared_ptr<AwsCredentialsProvider> provider) {
    SqsConfig c;
    c.queue_url = queue_url;
    c.region = "us-east-1";
    c.endpoint = endpoint;
    c.credentials_provider = std::move(provider);
    c.timeout = 3s;
    auto s = MakeSqsSource(std::move(c));
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string elasticmq_;
  std::string dir_;
  FakeClock clock_;  // the providers' clock: expiry and refresh without waiting an hour
};

TEST_F(AwsIdentityTest, WebIdentityTokenBecomesTemporaryCredentialsThatSignRealSqsCalls) {
  StsResponder sts(clock_);
  const std::string token1 = "eyJhbGciOiJSUzI1NiJ9." + UniqueToken("projected-token");
  sts.Accept(token1);
  const std::string token_file = WriteFile(dir_ + "/token", token1);
  auto provider = OperatorAwsCredentials({{"AWS_ROLE_ARN", kRole},
                                          {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                          {"AWS_ROLE_SESSION_NAME", "agentfleet-it"},
                                          {"AWS_ENDPOINT_URL_STS", sts.url()},
                                          {"AWS_REGION", "us-east-1"}},
                                         clock_);
  VerifyingSqsProxy proxy(elasticmq_, [&] { return sts.issued(); });
  auto source = Source(QueueWith(3), proxy.url(), provider);
  ASSERT_NE(source, nullptr);

  auto d = source->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString() << "; proxy: " << json(proxy.refusals()).dump();
  EXPECT_EQ(d->total, 3);
  EXPECT_EQ(sts.calls(), 1);
  EXPECT_EQ(sts.last_form()["RoleArn"], kRole);
  EXPECT_EQ(sts.last_form()["RoleSessionName"], "agentfleet-it");
  EXPECT_EQ(sts.last_form()["WebIdentityToken"], token1);
  EXPECT_EQ(proxy.verified(), 1) << "GetQueueAttributes signed with the session token";
  ASSERT_TRUE(source->ReadDepth().ok());
  EXPECT_EQ(sts.calls(), 1) << "cached: one AssumeRoleWithWebIdentity serves many calls";
  EXPECT_EQ(proxy.verified(), 2);

  // The kubelet rotates the projected token; 55 minutes on, the credentials are renewed with it.
  const AwsCredentials first = sts.issued();
  const std::string token2 = "eyJhbGciOiJSUzI1NiJ9." + UniqueToken("rotated-token");
  WriteFile(token_file, token2);
  sts.Accept(token2);
  clock_.Advance(55min + 1s);
  d = source->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString() << "; proxy: " << json(proxy.refusals()).dump();
  EXPECT_EQ(sts.calls(), 2);
  EXPECT_EQ(sts.last_form()["WebIdentityToken"], token2);
  EXPECT_NE(sts.issued().session_token, first.session_token);
  EXPECT_EQ(proxy.verified(), 3) << "signed with the new temporary credentials";
  EXPECT_TRUE(proxy.refusals().empty()) << json(proxy.refusals()).dump();

  // STS refuses the token once the credentials have expired: a typed error
  // naming the role, and no token or key in it.
  const AwsCredentials second = sts.issued();
  sts.Accept("another token");
  clock_.Advance(1h);
  auto refused = source->ReadDepth();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized) << refused.error().ToString();
  EXPECT_NE(refused.error().message.find(kRole), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("InvalidIdentityToken"), std::string::npos);
  ExpectNoSecret(refused.error(), {token2, second.secret_access_key, second.session_token});
  EXPECT_EQ(proxy.verified(), 3) << "no request is signed without valid credentials";
}

TEST_F(AwsIdentityTest, ContainerCredentialsWithATokenFileSignRealSqsCalls) {
  ContainerResponder endpoint(clock_, "/v1/credentials");
  const std::string token1 = UniqueToken("pod-identity-token");
  endpoint.Accept(token1);
  const std::string token_file = WriteFile(dir_ + "/eks-pod-identity-token", token1);
  auto provider = OperatorAwsCredentials(
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url() + "/v1/credentials"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "the file wins over this"}},
      clock_);
  VerifyingSqsProxy proxy(elasticmq_, [&] { return endpoint.issued(); });
  auto source = Source(QueueWith(2), proxy.url(), provider);
  ASSERT_NE(source, nullptr);

  auto d = source->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString() << "; proxy: " << json(proxy.refusals()).dump();
  EXPECT_EQ(d->total, 2);
  EXPECT_EQ(endpoint.last_authorization(), token1);
  EXPECT_EQ(endpoint.calls(), 1);
  EXPECT_EQ(proxy.verified(), 1);

  // The token file is read at every fetch: a rotated token is used at the next refresh.
  const std::string token2 = UniqueToken("rotated-pod-identity-token");
  WriteFile(token_file, token2);
  endpoint.Accept(token2);
  clock_.Advance(5h + 55min + 1s);
  ASSERT_TRUE(source->ReadDepth().ok());
  EXPECT_EQ(endpoint.calls(), 2);
  EXPECT_EQ(endpoint.last_authorization(), token2);
  EXPECT_EQ(proxy.verified(), 2);

  // A refused token: typed, and the error holds neither token nor keys.
  const AwsCredentials issued = endpoint.issued();
  endpoint.Accept("something else");
  clock_.Advance(6h);
  auto refused = source->ReadDepth();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized) << refused.error().ToString();
  ExpectNoSecret(refused.error(), {token2, issued.secret_access_key, issued.session_token});
  EXPECT_TRUE(proxy.refusals().empty()) << json(proxy.refusals()).dump();
}

TEST_F(AwsIdentityTest, ContainerCredentialsAtARelativeUriWithAPlainToken) {
  ContainerResponder endpoint(clock_, "/v2/credentials/task-1234");
  const std::string token = UniqueToken("ecs-token");
  endpoint.Accept(token);
  auto provider = OperatorAwsCredentials(
      {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-1234"},
       {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/never-used"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", token}},
      clock_, OperatorAwsOptions{.container_relative_base = endpoint.url()});
  VerifyingSqsProxy proxy(elasticmq_, [&] { return endpoint.issued(); });
  auto source = Source(QueueWith(4), proxy.url(), provider);
  ASSERT_NE(source, nullptr);
  auto d = source->ReadDepth();
  ASSERT_TRUE(d.ok()) << d.error().ToString() << "; proxy: " << json(proxy.refusals()).dump();
  EXPECT_EQ(d->total, 4);
  EXPECT_EQ(endpoint.last_authorization(), token);
  EXPECT_EQ(proxy.verified(), 1);
}

TEST_F(AwsIdentityTest, TheProxyRefusesWhatIsNotSignedWithTheTemporaryCredentials) {
  // The checks above can fail: long-term keys, or a stale token, are refused.
  ContainerResponder endpoint(clock_, "/creds");
  endpoint.Accept("t");
  auto provider =
      OperatorAwsCredentials({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url() + "/creds"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "t"}},
                             clock_);
  ASSERT_TRUE(provider->Get().ok());
  VerifyingSqsProxy proxy(elasticmq_, [&] { return endpoint.issued(); });
  const std::string q = QueueWith(1);
  auto static_keys =
      Source(q, proxy.url(), StaticAwsCredentials({"AKIDLONGTERM", "long-term-secret", ""}, "s"));
  auto d = static_keys->ReadDepth();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnauthorized) << d.error().ToString();
  AwsCredentials forged = endpoint.issued();
  forged.secret_access_key = "not-the-temporary-secret";
  d = Source(q, proxy.url(), StaticAwsCredentials(forged, "forged"))->ReadDepth();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(proxy.refusals().back(), "the signature was not made with the temporary secret key");
  EXPECT_EQ(proxy.verified(), 0);
}

}  // namespace
}  // namespace agentfleet::sources::queue
