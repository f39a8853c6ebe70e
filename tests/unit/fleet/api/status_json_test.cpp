#include "controller/fleet/api/status_json.h"

#include <gtest/gtest.h>

#include "controller/fleet/api/conditions.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/kube/meta/time.h"

namespace agentfleet::fleet::api {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Clock::Wall At(const char* text) {
  return kube::meta::ParseTime(text).value();
}

FleetStatus Sample() {
  FleetStatus s;
  s.observed_generation = 3;
  s.replicas = 4;
  s.ready_replicas = 3;
  s.desired_replicas = 5;
  s.queue_depth = 1234;
  s.current_metrics = {{ResourceMetricName::kCpu, 85, 425},
                       {ResourceMetricName::kMemory, std::nullopt, 67108864}};
  s.scaling_metric = "cpu";
  s.last_scale_time = At("2026-01-02T03:04:05Z");
  s.shards = {64, 64, 60, 2, 4};
  s.selector = PodSelector("pricing");
  s.updated_replicas = 2;
  s.update_revision = "5d1c0ffee0ddba11";
  s.current_revision = "0123456789abcdef";
  s.conditions.push_back({std::string(kConditionReady), ConditionStatus::kFalse, 3,
                          At("2026-01-02T03:04:00Z"), "ShardsMoving", "2 shards are moving"});
  s.conditions.push_back({std::string(kConditionScalingLimited), ConditionStatus::kTrue, 3,
                          At("2026-01-02T03:00:00Z"), "TooManyReplicas", "capped at maxReplicas"});
  return s;
}

TEST(StatusJson, ConditionStatusNamesAreTheApis) {
  EXPECT_EQ(ConditionStatusName(ConditionStatus::kTrue), "True");
  EXPECT_EQ(ConditionStatusName(ConditionStatus::kFalse), "False");
  EXPECT_EQ(ConditionStatusName(ConditionStatus::kUnknown), "Unknown");
}

TEST(StatusJson, ShapeMatchesTheCrd) {
  Json j = StatusToJson(Sample());
  EXPECT_EQ(j["observedGeneration"], 3);
  EXPECT_EQ(j["replicas"], 4);
  EXPECT_EQ(j["readyReplicas"], 3);
  EXPECT_EQ(j["desiredReplicas"], 5);
  EXPECT_EQ(j["queueDepth"], 1234);
  EXPECT_EQ(j["currentMetrics"], Json::parse(R"([
    {"type": "Resource", "resource": {"name": "cpu",
      "current": {"averageUtilization": 85, "averageValue": "425m"}}},
    {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "67108864"}}}])"));
  EXPECT_EQ(j["scalingMetric"], "cpu");
  EXPECT_EQ(j["lastScaleTime"], "2026-01-02T03:04:05Z");
  EXPECT_EQ(j["shards"],
            Json::parse(R"({"total":64,"assigned":64,"held":60,"moving":2,"unowned":4})"));
  EXPECT_EQ(j["selector"], "agentfleet.io/fleet=pricing");
  EXPECT_EQ(j["updatedReplicas"], 2);
  EXPECT_EQ(j["updateRevision"], "5d1c0ffee0ddba11");
  EXPECT_EQ(j["currentRevision"], "0123456789abcdef");
  ASSERT_EQ(j["conditions"].size(), 2u);
  EXPECT_EQ(j["conditions"][0],
            Json::parse(R"({"type":"Ready","status":"False","observedGeneration":3,
              "lastTransitionTime":"2026-01-02T03:04:00Z","reason":"ShardsMoving",
              "message":"2 shards are moving"})"));
}

TEST(StatusJson, RoundTrips) {
  FleetStatus s = Sample();
  auto back = ParseFleetStatus(StatusToJson(s));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, s);

  FleetStatus empty;
  auto back2 = ParseFleetStatus(StatusToJson(empty));
  ASSERT_TRUE(back2.ok()) << back2.error().ToString();
  EXPECT_EQ(*back2, empty);
}

TEST(StatusJson, MergePatchClearsAbsentOptionals) {
  FleetStatus s = Sample();
  s.queue_depth.reset();
  s.last_scale_time.reset();
  s.current_metrics.clear();
  s.scaling_metric.clear();
  Json patch = StatusMergePatch(s);
  EXPECT_TRUE(patch["status"]["queueDepth"].is_null());
  EXPECT_TRUE(patch["status"]["currentMetrics"].is_null());
  EXPECT_TRUE(patch["status"]["scalingMetric"].is_null());
  EXPECT_TRUE(patch["status"]["lastScaleTime"].is_null());
  EXPECT_EQ(patch["status"]["desiredReplicas"], 5);
}

TEST(ParseFleetStatus, StrictNamesTheField) {
  struct Case {
    Json status;
    const char* want;
  };
  const std::vector<Case> cases = {
      {Json::array(), "status: must be an object"},
      {{{"replicas", -1}}, "status.replicas: must be between 0"},
      {{{"queueDepth", "many"}}, "status.queueDepth: must be an integer"},
      {{{"lastScaleTime", "yesterday"}}, "status.lastScaleTime: not an RFC 3339 time"},
      {{{"shards", {{"moving", true}}}}, "status.shards.moving: must be an integer"},
      {{{"conditions", {{{"type", "Ready"}}}}}, "status.conditions[0]: is not a valid condition"},
      {{{"conditions",
         {{{"type", "Ready"},
           {"status", "Maybe"},
           {"reason", "R"},
           {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}},
       "status.conditions[0]: is not a valid condition"},
  };
  for (const auto& c : cases) {
    auto r = ParseFleetStatus(c.status);
    ASSERT_FALSE(r.ok()) << c.status.dump();
    EXPECT_NE(r.error().message.find(c.want), std::string::npos)
        << r.error().message << " want " << c.want;
  }
  Json dup = StatusToJson(Sample());
  dup["conditions"].push_back(dup["conditions"][0]);
  auto r = ParseFleetStatus(dup);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("duplicate condition type Ready"), std::string::npos);
}

TEST(ParseFleet, AMalformedStatusDoesNotStopTheFleet) {
  Json fleet = Json::parse(R"({
    "metadata": {"name": "m"},
    "spec": {"queue": {"redisList": {"url": "redis://q", "key": "k"}},
             "leases": {"redis": {"url": "redis://l"}},
             "template": {"spec": {"containers": [{"name": "a", "image": "i"}]}}}})");
  Json status = StatusToJson(Sample());
  status["replicas"] = "four";
  status["conditions"].push_back(42);
  fleet["status"] = status;
  auto f = ParseFleet(fleet);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  FleetStatus want = Sample();
  want.replicas = 0;  // unreadable: zero
  EXPECT_EQ(f->status, want);
}

TEST(Conditions, TransitionTimeMovesOnlyWithTheStatus) {
  std::vector<Condition> cs;
  auto t0 = At("2026-01-01T00:00:00Z");
  Condition ready{
      std::string(kConditionReady), ConditionStatus::kFalse, 1, {}, "Starting", "no pods"};
  EXPECT_TRUE(SetCondition(cs, ready, t0 + 500ms));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].last_transition_time, t0);  // seconds, as the API keeps it

  EXPECT_FALSE(SetCondition(cs, ready, t0 + 10s));  // nothing new
  ready.message = "1 of 3 pods ready";
  EXPECT_TRUE(SetCondition(cs, ready, t0 + 20s));
  EXPECT_EQ(cs[0].last_transition_time, t0);  // same status: time kept
  EXPECT_EQ(cs[0].message, "1 of 3 pods ready");

  ready.status = ConditionStatus::kTrue;
  ready.reason = "AllShardsHeld";
  EXPECT_TRUE(SetCondition(cs, ready, t0 + 30s));
  EXPECT_EQ(cs[0].last_transition_time, t0 + 30s);

  Condition limited{
      std::string(kConditionScalingLimited), ConditionStatus::kTrue, 1, {}, "Max", "m"};
  EXPECT_TRUE(SetCondition(cs, limited, t0));
  EXPECT_EQ(cs.size(), 2u);
  ASSERT_NE(FindCondition(cs, kConditionScalingLimited), nullptr);
  EXPECT_EQ(FindCondition(cs, kConditionDegraded), nullptr);
  EXPECT_TRUE(RemoveCondition(cs, kConditionScalingLimited));
  EXPECT_FALSE(RemoveCondition(cs, kConditionScalingLimited));
  EXPECT_EQ(cs.size(), 1u);
}

}  // namespace
}  // namespace agentfleet::fleet::api
