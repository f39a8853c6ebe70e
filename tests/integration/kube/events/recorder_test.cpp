#include "controller/kube/events/recorder.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/support/cluster.h"

namespace agentfleet::kube::events {
namespace {

using namespace std::chrono_literals;

TEST(EventRecorder, AggregatesAHotLoopIntoOneSeries) {
  std::atomic<int> writes{0};
  auto client = testing::ClusterClient({.on_response = [&](std::string_view method, int, double) {
    if (method != "GET") ++writes;
  }});
  testing::ScopedNamespace ns(*client, "events");
  int base_writes = writes;
  ObjectReference pod{"v1", "Pod", ns.name(), "agent-0", "uid-agent-0"};
  {
    EventRecorder recorder(*client, {.reporting_instance = "test", .series_flush_interval = 200ms});
    for (int i = 0; i < 1000; ++i)
      recorder.Warning(pod, "LeaseNotHeld", "Check", "holds 0 of 4 shards");
    recorder.Normal(pod, "ShardsAssigned", "Assign", "0-3");
    recorder.Flush();
    for (int i = 0; i < 500; ++i)
      recorder.Warning(pod, "LeaseNotHeld", "Check", "holds 0 of 4 shards");
    recorder.Flush();
  }
  auto list = client->List(rest::resources::kEvents, ns.name());
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  ASSERT_EQ(list->items.size(), 2u);
  int64_t series = 0;
  bool normal = false;
  for (const auto& e : list->items) {
    EXPECT_EQ(e["regarding"]["name"], "agent-0");
    EXPECT_EQ(e["reportingController"], "agentfleet.io/fleet-controller");
    if (e["reason"] == "LeaseNotHeld") {
      EXPECT_EQ(e["type"], "Warning");
      series = e["series"]["count"].get<int64_t>();
    } else {
      normal = e["reason"] == "ShardsAssigned" && !e.contains("series");
    }
  }
  EXPECT_EQ(series, 1500);
  EXPECT_TRUE(normal);
  // Two creates and a handful of series updates for 1,501 recorded events.
  EXPECT_LE(writes - base_writes, 8) << "writes: " << writes - base_writes;
}

TEST(EventRecorder, DropsAFloodOfDistinctEventsPerObject) {
  auto client = testing::ClusterClient();
  testing::ScopedNamespace ns(*client, "events-flood");
  ObjectReference fleet{"agentfleet.io/v1alpha1", "PricingAgentFleet", ns.name(), "f", "uid-f"};
  EventRecorder recorder(
      *client, {.reporting_instance = "test", .per_object_burst = 5, .per_object_refill = 1h});
  for (int i = 0; i < 50; ++i) recorder.Normal(fleet, "Scaled", "Scale", "to " + std::to_string(i));
  recorder.Flush();
  EXPECT_EQ(recorder.dropped(), 45);
  auto list = client->List(rest::resources::kEvents, ns.name());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), 5u);
}

}  // namespace
}  // namespace agentfleet::kube::events
