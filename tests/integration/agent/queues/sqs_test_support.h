#pragma once

// Setting up and inspecting ElasticMQ queues (fixture `elasticmq`) for the
// SQS task queue's tests, with signed calls made apart from the code under
// test.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/sigv4.h"
#include "controller/sources/queue/sqs_protocol.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::agent::queues::testing {

class ElasticMq {
 public:
  ElasticMq()
      : endpoint_(sources::queue::testing::FixtureFile("AGENTFLEET_ELASTICMQ_DIR", "url")),
        credentials_{"AKIDSETUP", "setup-secret-key", ""} {}

  const std::string& endpoint() const { return endpoint_; }

  nlohmann::json Call(const std::string& action, const nlohmann::json& body) {
    using namespace std::chrono_literals;
    auto url = sources::queue::ParseUrl(endpoint_);
    EXPECT_TRUE(url.ok());
    if (!url.ok()) return {};
    auto res = sources::queue::HttpFetch(
        sources::queue::sqs::SignedCall(*url, action, body.dump(), credentials_, "us-east-1",
                                        sources::queue::AmzDate(std::chrono::system_clock::now())),
        {}, 10s);
    if (!res.ok()) {
      ADD_FAILURE() << action << ": " << res.error().ToString();
      return {};
    }
    EXPECT_EQ(res->status, 200) << action << ": " << res->body;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

  // A new queue; its URL.
  std::string Create(const std::string& name) {
    return Call("CreateQueue", {{"QueueName", name}})["QueueUrl"].get<std::string>();
  }

  void Send(const std::string& queue_url, const std::string& body) {
    Call("SendMessage", {{"QueueUrl", queue_url}, {"MessageBody", body}});
  }

  // Visible plus in flight.
  int64_t Depth(const std::string& queue_url) {
    auto a = Call("GetQueueAttributes",
                  {{"QueueUrl", queue_url},
                   {"AttributeNames",
                    {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}}});
    return std::stoll(a["Attributes"]["ApproximateNumberOfMessages"].get<std::string>()) +
           std::stoll(a["Attributes"]["ApproximateNumberOfMessagesNotVisible"].get<std::string>());
  }

  // Up to 10 messages with every message attribute, deleted at once.
  nlohmann::json Drain(const std::string& queue_url) {
    auto r = Call("ReceiveMessage", {{"QueueUrl", queue_url},
                                     {"MaxNumberOfMessages", 10},
                                     {"WaitTimeSeconds", 1},
                                     {"MessageAttributeNames", {"All"}}});
    nlohmann::json out = nlohmann::json::array();
    if (!r.contains("Messages")) return out;
    for (const auto& m : r["Messages"]) {
      Call("DeleteMessage", {{"QueueUrl", queue_url}, {"ReceiptHandle", m["ReceiptHandle"]}});
      out.push_back(m);
    }
    return out;
  }

 private:
  std::string endpoint_;
  sources::queue::AwsCredentials credentials_;
};

}  // namespace agentfleet::agent::queues::testing
