#include "examples/agent/queues/sqs_messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace agentfleet::agent::queues::sqs {
namespace {

using nlohmann::json;
using sources::queue::HttpResponse;
using std::chrono::milliseconds;

HttpResponse Answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::vector<Delivery> Deliveries(int n) {
  std::vector<Delivery> out;
  for (int i = 0; i < n; ++i) out.push_back({"body", "receipt-" + std::to_string(i), {}});
  return out;
}

TEST(SqsLocateTest, AQueueUrlNamesItsQueueAndEndpoint) {
  auto l = LocateQueue("http://127.0.0.1:9324/000000000000/tasks", "");
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  EXPECT_EQ(l->queue_url, "http://127.0.0.1:9324/000000000000/tasks");
  EXPECT_EQ(l->name, "tasks");
  EXPECT_EQ(l->endpoint.Origin(), "http://127.0.0.1:9324");
  EXPECT_EQ(l->endpoint.path, "/");

  l = LocateQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/tasks/?x=1", "tasks");
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  EXPECT_EQ(l->queue_url, "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks");
  EXPECT_EQ(l->name, "tasks");
  EXPECT_EQ(l->endpoint.Origin(), "https://sqs.eu-west-1.amazonaws.com:443");
  EXPECT_EQ(l->endpoint.query, "");
}

TEST(SqsLocateTest, AnEndpointTakesTheNameFromQueueName) {
  for (const char* endpoint : {"http://127.0.0.1:9324", "http://127.0.0.1:9324/"}) {
    auto l = LocateQueue(endpoint, "tasks");
    ASSERT_TRUE(l.ok()) << l.error().ToString();
    EXPECT_EQ(l->queue_url, "") << "resolved with GetQueueUrl";
    EXPECT_EQ(l->name, "tasks");
    EXPECT_EQ(l->endpoint.Origin(), "http://127.0.0.1:9324");
  }
}

TEST(SqsLocateTest, NoQueueOrAMismatchIsInvalid) {
  auto l = LocateQueue("http://127.0.0.1:9324/", "");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(l.error().message.find("--queue-name"), std::string::npos) << l.error().message;

  l = LocateQueue("http://127.0.0.1:9324/000000000000/tasks", "other");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, ErrorCode::kInvalidArgument);

  l = LocateQueue("amqp://127.0.0.1/x", "tasks");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(l.error().message.find("--queue-url"), std::string::npos);

  l = LocateQueue("http://user:hunter2secret@127.0.0.1/q", "");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().message.find("hunter2secret"), std::string::npos) << l.error().message;
}

TEST(SqsLocateTest, DeadLetterNameDefaultsToNameDead) {
  EXPECT_EQ(DeadLetterName("", "tasks"), "tasks-dead");
  EXPECT_EQ(DeadLetterName("poison", "tasks"), "poison");
}

TEST(SqsSecondsTest, WaitIsRoundedUpAndNeverAShortPoll) {
  EXPECT_EQ(WaitTimeSeconds(milliseconds(0)), 1);
  EXPECT_EQ(WaitTimeSeconds(milliseconds(-5)), 1);
  EXPECT_EQ(WaitTimeSeconds(milliseconds(200)), 1);
  EXPECT_EQ(WaitTimeSeconds(milliseconds(1'000)), 1);
  EXPECT_EQ(WaitTimeSeconds(milliseconds(1'001)), 2);
  EXPECT_EQ(WaitTimeSeconds(milliseconds(20'000)), 20);
  EXPECT_EQ(WaitTimeSeconds(milliseconds(60'000)), 20);
  EXPECT_EQ(WaitTimeSeconds(milliseconds::max()), 20);
}

TEST(SqsSecondsTest, VisibilityIsWholeSecondsUpToTwelveHours) {
  EXPECT_EQ(VisibilitySeconds(milliseconds(0)), 1);
  EXPECT_EQ(VisibilitySeconds(milliseconds(1'500)), 2);
  EXPECT_EQ(VisibilitySeconds(milliseconds(30'000)), 30);
  EXPECT_EQ(VisibilitySeconds(std::chrono::hours(13)), 43'200);
}

TEST(SqsReceiveTest, BodyAsksForSentTimestampUnderBothNames) {
  const json j = json::parse(ReceiveMessageBody("http://q/1/tasks", 64, 3, 30));
  EXPECT_EQ(j["QueueUrl"], "http://q/1/tasks");
  EXPECT_EQ(j["MaxNumberOfMessages"], 10) << "SQS's most";
  EXPECT_EQ(j["WaitTimeSeconds"], 3);
  EXPECT_EQ(j["VisibilityTimeout"], 30);
  EXPECT_EQ(j["MessageSystemAttributeNames"], json::array({"SentTimestamp"}));
  EXPECT_EQ(j["AttributeNames"], json::array({"SentTimestamp"}));
  EXPECT_EQ(json::parse(ReceiveMessageBody("u", 0, 1, 1))["MaxNumberOfMessages"], 1);
  EXPECT_EQ(json::parse(ReceiveMessageBody("u", 4, 1, 1))["MaxNumberOfMessages"], 4);
}

TEST(SqsReceiveTest, MessagesBecomeDeliveries) {
  auto d = DeliveriesFromResponse(Answer(200, R"({"Messages":[
        {"MessageId":"m1","ReceiptHandle":"r1","Body":"{\"task\":1}",
         "Attributes":{"SentTimestamp":"1700000000123"}},
        {"MessageId":"m2","ReceiptHandle":"r2","Body":"b2"},
        {"MessageId":"m3","ReceiptHandle":"r3","Body":"b3","Attributes":{"SentTimestamp":"x"}}]})"),
                                  "sqs queue q");
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].body, R"({"task":1})");
  EXPECT_EQ((*d)[0].receipt, "r1");
  ASSERT_TRUE((*d)[0].enqueued.has_value());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>((*d)[0].enqueued->time_since_epoch()).count(),
            1700000000123);
  EXPECT_FALSE((*d)[1].enqueued.has_value());
  EXPECT_FALSE((*d)[2].enqueued.has_value()) << "a timestamp that is no number is left out";
}

TEST(SqsReceiveTest, NoMessagesIsAnEmptyBatch) {
  for (const char* body : {"{}", R"({"Messages":[]})", R"({"Messages":null})"}) {
    auto d = DeliveriesFromResponse(Answer(200, body), "sqs queue q");
    ASSERT_TRUE(d.ok()) << body;
    EXPECT_TRUE(d->empty()) << body;
  }
}

TEST(SqsReceiveTest, MalformedAnswersAreErrorsQuotingNoReceipt) {
  for (const char* body :
       {"", "[]", R"({"Messages":{}})", R"({"Messages":[{"ReceiptHandle":"secret-receipt-1"}]})",
        R"({"Messages":[{"Body":"b","ReceiptHandle":7}]})"}) {
    auto d = DeliveriesFromResponse(Answer(200, body), "sqs queue q");
    ASSERT_FALSE(d.ok()) << body;
    EXPECT_EQ(d.error().code, ErrorCode::kInternal);
    EXPECT_EQ(d.error().message.find("secret-receipt"), std::string::npos) << d.error().message;
    EXPECT_EQ(d.error().message.rfind("sqs queue q: ", 0), 0u) << d.error().message;
  }
}

TEST(SqsReceiveTest, RefusalsAreTypedErrors) {
  auto d = DeliveriesFromResponse(
      Answer(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"})"),
      "sqs queue q");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kNotFound);
  d = DeliveriesFromResponse(
      Answer(403, R"({"__type":"com.amazon.coral.service#InvalidClientTokenId","message":"no"})"),
      "sqs queue q");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnauthorized);
}

TEST(SqsBatchTest, BodiesComeInChunksOfTen) {
  EXPECT_TRUE(DeleteMessageBatchBodies("u", {}).empty());
  const auto ten = Deliveries(10);
  EXPECT_EQ(DeleteMessageBatchBodies("u", ten).size(), 1u);
  const auto many = Deliveries(25);
  const auto bodies = DeleteMessageBatchBodies("u", many);
  ASSERT_EQ(bodies.size(), 3u);
  std::vector<std::string> receipts;
  for (const auto& b : bodies) {
    const json j = json::parse(b);
    EXPECT_EQ(j["QueueUrl"], "u");
    std::set<std::string> ids;
    for (const auto& e : j["Entries"]) {
      ids.insert(e["Id"].get<std::string>());
      receipts.push_back(e["ReceiptHandle"]);
      EXPECT_FALSE(e.contains("VisibilityTimeout"));
    }
    EXPECT_EQ(ids.size(), j["Entries"].size()) << "ids unique within a call";
  }
  EXPECT_EQ(json::parse(bodies[2])["Entries"].size(), 5u);
  ASSERT_EQ(receipts.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(receipts[i], "receipt-" + std::to_string(i));
}

TEST(SqsBatchTest, VisibilityBodiesCarryTheTimeout) {
  const auto d = Deliveries(11);
  const auto bodies = ChangeVisibilityBatchBodies("u", d, 0);
  ASSERT_EQ(bodies.size(), 2u);
  for (const auto& b : bodies) {
    const json parsed = json::parse(b);  // named: a range-for over a temporary's member dangles
    for (const auto& e : parsed["Entries"]) EXPECT_EQ(e["VisibilityTimeout"], 0);
  }
  EXPECT_EQ(
      json::parse(ChangeVisibilityBatchBodies("u", d, 30)[0])["Entries"][3]["VisibilityTimeout"],
      30);
}

TEST(SqsBatchTest, FailuresAreCountedByCodeNotByMessage) {
  auto f = FailuresFromResponse(Answer(200, R"({"Successful":[{"Id":"0"}]})"), "w");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->failed, 0);
  f = FailuresFromResponse(Answer(200, R"({"Successful":[{"Id":"0"}],"Failed":[
        {"Id":"1","SenderFault":true,"Code":"ReceiptHandleIsInvalid",
         "Message":"The receipt handle secret-receipt-1 is not valid"},
        {"Id":"2","SenderFault":true,"Code":"ReceiptHandleIsInvalid"},
        {"Id":"3","SenderFault":false,"Code":"InternalError"}]})"),
                           "w");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->failed, 3);
  EXPECT_EQ(f->codes, (std::vector<std::string>{"InternalError", "ReceiptHandleIsInvalid"}));
  f = FailuresFromResponse(Answer(200, "nope"), "w");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kInternal);
  f = FailuresFromResponse(Answer(500, R"({"__type":"InternalFailure"})"), "w");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kUnavailable);
}

TEST(SqsDeadLetterTest, TheBodyGoesWithReasonAndSource) {
  const json j = json::parse(
      SendDeadLetterBody("http://q/1/tasks-dead", "not json {", "not a JSON object", "tasks"));
  EXPECT_EQ(j["QueueUrl"], "http://q/1/tasks-dead");
  EXPECT_EQ(j["MessageBody"], "not json {");
  EXPECT_EQ(j["MessageAttributes"]["reason"],
            (json{{"DataType", "String"}, {"StringValue", "not a JSON object"}}));
  EXPECT_EQ(j["MessageAttributes"]["source"],
            (json{{"DataType", "String"}, {"StringValue", "tasks"}}));
  const json empty = json::parse(SendDeadLetterBody("u", "b", "", "tasks"));
  EXPECT_FALSE(empty["MessageAttributes"]["reason"]["StringValue"].get<std::string>().empty())
      << "SQS refuses an empty attribute value";
}

TEST(SqsDeadLetterTest, ALongReasonIsCut) {
  const json j = json::parse(SendDeadLetterBody("u", "b", std::string(5'000, 'x'), "tasks"));
  EXPECT_EQ(j["MessageAttributes"]["reason"]["StringValue"].get<std::string>().size(), kMaxReason);
}

TEST(SqsDeadLetterTest, DeleteBodyNamesTheReceipt) {
  const json j = json::parse(DeleteMessageBody("u", "r-1"));
  EXPECT_EQ(j, (json{{"QueueUrl", "u"}, {"ReceiptHandle", "r-1"}}));
}

TEST(SqsAttributeTextTest, KeepsUtf8WholeAndReplacesWhatSqsRefuses) {
  EXPECT_EQ(AttributeText("plain", 100), "plain");
  EXPECT_EQ(AttributeText("tab\tnew\nline", 100), "tab\tnew\nline");
  EXPECT_EQ(AttributeText(std::string("a\0b\x01", 4), 100), "a?b?");
  EXPECT_EQ(AttributeText("\xff\xfe", 100), "??");
  EXPECT_EQ(AttributeText("\xc3\xa9t\xc3\xa9", 100), "\xc3\xa9t\xc3\xa9");  // été
  EXPECT_EQ(AttributeText("\xc3\xa9t\xc3\xa9", 4), "\xc3\xa9t") << "never half a character";
  EXPECT_EQ(AttributeText("\xed\xa0\x80", 100), "???") << "a surrogate is no character";
  EXPECT_EQ(AttributeText("\xc0\xaf", 100), "??") << "overlong";
  EXPECT_EQ(AttributeText("\xf0\x9f\x98\x80", 100), "\xf0\x9f\x98\x80");
  EXPECT_EQ(AttributeText("\xef\xbf\xbe", 100), "???") << "U+FFFE";
  EXPECT_EQ(AttributeText("abc", 0), "");
}

TEST(SqsResponseTest, OnlyTwoHundredIsOk) {
  EXPECT_TRUE(CheckResponse(Answer(200, "{}"), "w").ok());
  auto s = CheckResponse(Answer(400, R"({"__type":"QueueDoesNotExist"})"), "sqs queue x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message.rfind("sqs queue x: ", 0), 0u);
}

}  // namespace
}  // namespace agentfleet::agent::queues::sqs
