#include "controller/kube/informer/pod.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::informer {
namespace {

using Json = nlohmann::json;

Json Pod(Json containers) {
  return {{"metadata", {{"name", "p"}, {"namespace", "ns"}}},
          {"spec", {{"nodeName", "n1"}, {"containers", std::move(containers)}}},
          {"status",
           {{"phase", "Running"},
            {"startTime", "2026-01-02T03:04:05Z"},
            {"conditions",
             {{{"type", "Ready"},
               {"status", "True"},
               {"lastTransitionTime", "2026-01-02T03:04:09Z"}}}}}}};
}

TEST(PodRecord, RequestsAreSummedOverTheContainers) {
  const PodRecord r = ToPodRecord(Pod(
      {{{"name", "agent"}, {"resources", {{"requests", {{"cpu", "250m"}, {"memory", "64Mi"}}}}}},
       {{"name", "sidecar"}, {"resources", {{"requests", {{"cpu", "0.1"}, {"memory", "1Gi"}}}}}}}));
  EXPECT_EQ(r.cpu_request_milli, 350);
  EXPECT_EQ(r.memory_request, (int64_t{64} << 20) + (int64_t{1} << 30));
  EXPECT_EQ(r.started_unix, 1767323045);
  EXPECT_EQ(r.ready_since_unix, 1767323049);
  EXPECT_TRUE(r.ready);
}

TEST(PodRecord, SidecarsCountInitContainersDoNot) {
  Json pod = Pod(
      {{{"name", "agent"}, {"resources", {{"requests", {{"cpu", "250m"}, {"memory", "64Mi"}}}}}}});
  pod["spec"]["initContainers"] = {
      {{"name", "setup"}, {"resources", {{"requests", {{"cpu", "2"}, {"memory", "1Gi"}}}}}},
      {{"name", "proxy"},
       {"restartPolicy", "Always"},
       {"resources", {{"requests", {{"cpu", "50m"}, {"memory", "16Mi"}}}}}}};
  const PodRecord r = ToPodRecord(pod);
  EXPECT_EQ(r.cpu_request_milli, 300);
  EXPECT_EQ(r.memory_request, int64_t{80} << 20);
}

// As the HPA: one container without the request makes utilization
// undefined for the pod, and so does a request that is not a quantity.
TEST(PodRecord, AContainerWithoutTheRequestLeavesItUnknown) {
  const PodRecord r = ToPodRecord(Pod(
      {{{"name", "agent"}, {"resources", {{"requests", {{"cpu", "250m"}, {"memory", "64Mi"}}}}}},
       {{"name", "sidecar"}, {"resources", {{"requests", {{"memory", "zz"}}}}}}}));
  EXPECT_EQ(r.cpu_request_milli, -1);
  EXPECT_EQ(r.memory_request, -1);
  const PodRecord none = ToPodRecord(Pod({{{"name", "agent"}}}));
  EXPECT_EQ(none.cpu_request_milli, -1);
  EXPECT_EQ(none.started_unix, 1767323045);
}

}  // namespace
}  // namespace agentfleet::kube::informer
