#include "controller/fleet/reconciler/pod_deletes.h"

#include <gtest/gtest.h>

#include "tests/support/fake_client.h"
#include "tests/support/in_flight.h"

namespace agentfleet::fleet::reconciler {
namespace {

using agentfleet::testing::Call;
using agentfleet::testing::FakeClient;
using agentfleet::testing::Verb;
using kube::rest::resources::kPods;

class PodDeletesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 40; ++i) {
      const std::string name = "p-" + std::to_string(i);
      client_.Put(kPods, {{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"metadata", {{"name", name}, {"namespace", "shop"}}}});
      records_.push_back(kube::informer::ToPodRecord(*client_.Peek(kPods, "shop", name)));
    }
    for (const auto& r : records_) pods_.push_back(&r);
  }

  void MeasureOverlap() {
    client_.AddFault(deletes_.Rule(Verb::kDelete, "pods", std::chrono::milliseconds(10)));
  }

  FakeClient client_;
  std::vector<kube::informer::PodRecord> records_;
  std::vector<const kube::informer::PodRecord*> pods_;
  agentfleet::testing::InFlightProbe deletes_;
};

TEST_F(PodDeletesTest, DeletesManyAtOnceUpToTheWidth) {
  MeasureOverlap();
  auto done = DeletePods(client_, pods_);
  ASSERT_EQ(done.size(), 40u);
  for (const auto& s : done) EXPECT_TRUE(s.ok());
  EXPECT_TRUE(client_.PeekAll(kPods, "shop").empty());
  EXPECT_GT(deletes_.most(), 1);
  EXPECT_LE(deletes_.most(), static_cast<int>(kWriteWidth));
}

TEST_F(PodDeletesTest, WidthOneIsOneAtATime) {
  MeasureOverlap();
  DeletePods(client_, pods_, 1);
  EXPECT_EQ(deletes_.most(), 1);
  EXPECT_EQ(client_.CountCalls(Verb::kDelete, "pods"), 40u);
}

TEST_F(PodDeletesTest, EachPodGetsItsOwnStatusInOrder) {
  client_.AddFault([](const Call& c) -> std::optional<Error> {
    if (c.verb == Verb::kDelete && c.name == "p-3") {
      return MakeError(ErrorCode::kUnavailable, "connection reset");
    }
    return std::nullopt;
  });
  auto done = DeletePods(client_, pods_);
  for (size_t i = 0; i < done.size(); ++i) {
    EXPECT_EQ(done[i].ok(), i != 3) << i;
  }
  EXPECT_NE(done[3].error().message.find("deleting pod p-3"), std::string::npos);
  EXPECT_EQ(client_.PeekAll(kPods, "shop").size(), 1u);
}

TEST_F(PodDeletesTest, NothingToDeleteSendsNothing) {
  EXPECT_TRUE(DeletePods(client_, {}).empty());
  EXPECT_EQ(client_.CountCalls(Verb::kDelete), 0u);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
