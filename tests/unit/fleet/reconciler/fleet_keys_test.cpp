#include "controller/fleet/reconciler/fleet_keys.h"

#include <gtest/gtest.h>

#include "controller/fleet/reconciler/fleet_metrics.h"
#include "controller/fleet/reconciler/fleet_record.h"

namespace agentfleet::fleet::reconciler {
namespace {

kube::informer::PodRecord Pod(std::string name) {
  kube::informer::PodRecord p;
  p.meta.name = std::move(name);
  p.meta.namespace_name = "shop";
  return p;
}

TEST(FleetKeysTest, ControllerOwnerWinsOverTheLabel) {
  kube::informer::PodRecord p = Pod("pricing-0");
  p.meta.labels = {{"agentfleet.io/fleet", "label-name"}};
  p.meta.owners = {{"agentfleet.io/v1alpha1", "PricingAgentFleet", "owner-name", "u", true}};
  EXPECT_EQ(FleetKeyOfPod(p), "shop/owner-name");
}

TEST(FleetKeysTest, LabelWhenTheOwnerIsNotAFleet) {
  kube::informer::PodRecord p = Pod("pricing-0");
  p.meta.labels = {{"agentfleet.io/fleet", "pricing"}};
  p.meta.owners = {{"apps/v1", "ReplicaSet", "rs", "u", true}};
  EXPECT_EQ(FleetKeyOfPod(p), "shop/pricing");
  p.meta.owners = {{"other.io/v1", "PricingAgentFleet", "x", "u", true}};
  EXPECT_EQ(FleetKeyOfPod(p), "shop/pricing");
}

TEST(FleetKeysTest, NeitherOwnerNorLabel) {
  EXPECT_EQ(FleetKeyOfPod(Pod("web-0")), std::nullopt);
}

TEST(FleetKeysTest, StoreIndexByFleetLabel) {
  kube::informer::Store<kube::informer::PodRecord> store;
  AddFleetIndex(store);
  auto a = std::make_shared<kube::informer::PodRecord>(Pod("pricing-0"));
  a->meta.labels = {{"agentfleet.io/fleet", "pricing"}};
  auto b = std::make_shared<kube::informer::PodRecord>(Pod("other-0"));
  b->meta.labels = {{"agentfleet.io/fleet", "other"}};
  auto c = std::make_shared<kube::informer::PodRecord>(Pod("pricing-1"));
  c->meta.namespace_name = "elsewhere";
  c->meta.labels = {{"agentfleet.io/fleet", "pricing"}};
  store.Upsert("shop/pricing-0", a);
  store.Upsert("shop/other-0", b);
  store.Upsert("elsewhere/pricing-1", c);
  auto found = store.ByIndex(kFleetIndex, "shop/pricing");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->meta.name, "pricing-0");
}

TEST(FleetKeysTest, FleetRecordKeepsMetaAndDropsManagedFields) {
  auto r = ToFleetRecord(nlohmann::json::parse(R"({
    "metadata": {"name": "pricing", "namespace": "shop", "uid": "u1", "generation": 4,
                 "resourceVersion": "77", "finalizers": ["agentfleet.io/lease-cleanup"],
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"shards": 8}})"));
  EXPECT_EQ(r.meta.Key(), "shop/pricing");
  EXPECT_EQ(r.meta.generation, 4);
  EXPECT_EQ(r.meta.finalizers, std::vector<std::string>{"agentfleet.io/lease-cleanup"});
  EXPECT_FALSE(r.object["metadata"].contains("managedFields"));
  EXPECT_EQ(r.object["spec"]["shards"], 8);
}

TEST(FleetMetricsTest, PlanGaugesAndScaleDirections) {
  obs::Registry registry;
  FleetMetrics m(registry);
  planner::Plan plan;
  plan.scale.current = 2;
  plan.scale.desired = 4;
  plan.ready_replicas = 2;
  plan.moves = 5;
  plan.shards = {12, 12, 7, 2, 3, true};
  m.ObservePlan("shop", "pricing", plan, int64_t{250});
  m.SourceError("shop", "pricing", "queue");
  m.Handoff("shop", "pricing", 0.3);
  std::string text = registry.Render();
  const std::string l = "{namespace=\"shop\",fleet=\"pricing\"";
  EXPECT_NE(text.find("agentfleet_desired_replicas" + l + "} 4"), std::string::npos) << text;
  EXPECT_NE(text.find("agentfleet_ready_replicas" + l + "} 2"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_queue_depth" + l + "} 250"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_shards" + l + ",state=\"held\"} 7"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_shards" + l + ",state=\"moving\"} 2"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_shards" + l + ",state=\"unowned\"} 3"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_shard_moves_total" + l + "} 5"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_scale_decisions_total" + l + ",direction=\"up\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("agentfleet_source_errors_total" + l + ",source=\"queue\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("agentfleet_handoff_seconds_count" + l + "} 1"), std::string::npos);

  m.Forget("shop", "pricing");
  text = registry.Render();
  EXPECT_EQ(text.find("agentfleet_desired_replicas" + l), std::string::npos) << text;
  EXPECT_EQ(text.find("agentfleet_shards" + l), std::string::npos);
  EXPECT_NE(text.find("agentfleet_shard_moves_total" + l), std::string::npos);  // counters stay
}

// A rollout's own figures: pods of the current and of older templates, and
// the shards handed over while it runs (goal: the shard count per rollout).
TEST(FleetMetricsTest, RolloutGaugesAndShardMoves) {
  obs::Registry registry;
  FleetMetrics m(registry);
  planner::Plan plan;
  plan.updated = 2;
  plan.outdated = 3;
  plan.rolling = true;
  plan.moves = 4;
  m.ObservePlan("shop", "pricing", plan, std::nullopt);
  plan.rolling = false;
  plan.moves = 1;  // a scale event's, not the rollout's
  m.ObservePlan("shop", "pricing", plan, std::nullopt);
  std::string text = registry.Render();
  const std::string l = "{namespace=\"shop\",fleet=\"pricing\"";
  EXPECT_NE(text.find("agentfleet_updated_replicas" + l + "} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("agentfleet_outdated_replicas" + l + "} 3"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_rollout_shard_moves_total" + l + "} 4"), std::string::npos);
  EXPECT_NE(text.find("agentfleet_shard_moves_total" + l + "} 5"), std::string::npos);
  m.Forget("shop", "pricing");
  text = registry.Render();
  EXPECT_EQ(text.find("agentfleet_updated_replicas" + l), std::string::npos) << text;
  EXPECT_EQ(text.find("agentfleet_outdated_replicas" + l), std::string::npos);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
