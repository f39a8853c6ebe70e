#include "controller/fleet/reconciler/revisions.h"

#include <gtest/gtest.h>

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/agent_pod.h"
#include "tests/unit/fleet/reconciler/test_fleet.h"

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

TEST(TemplateHash, FollowsWhatChangesThePodAndNothingElse) {
  const api::Fleet base = testing::TestFleet();
  const std::string h = TemplateHash(base);
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(TemplateHash(testing::TestFleet()), h) << "deterministic";

  api::Fleet f = base;
  f.spec.pod_template["spec"]["containers"][0]["image"] = "agent:2";
  EXPECT_NE(TemplateHash(f), h) << "a new image";
  f = base;
  // What `kubectl rollout restart` writes into a Deployment's template.
  f.spec.pod_template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
      "2026-12-07T05:00:00Z";
  EXPECT_NE(TemplateHash(f), h) << "a restart annotation";
  f = base;
  f.spec.leases.lease_duration = api::Seconds(30);
  EXPECT_NE(TemplateHash(f), h) << "an agent setting the operator writes into the pod";
  f = base;
  f.spec.shards = 24;
  EXPECT_NE(TemplateHash(f), h) << "AGENTFLEET_SHARDS";

  f = base;
  f.spec.replicas = 7;
  f.spec.retirement.drain_timeout = api::Seconds(30);
  f.meta.generation = 9;
  EXPECT_EQ(TemplateHash(f), h) << "scaling and retirement make no new revision";
}

TEST(TemplateHash, EveryNewPodCarriesIt) {
  const api::Fleet f = testing::TestFleet();
  Json pod = BuildAgentPod(f, "pricing-0");
  EXPECT_EQ(pod["metadata"]["labels"][std::string(api::kTemplateHashLabel)], TemplateHash(f));
}

std::shared_ptr<const kube::informer::PodRecord> Pod(const std::string& revision,
                                                     bool retiring = false, bool deleting = false) {
  auto p = std::make_shared<kube::informer::PodRecord>();
  if (!revision.empty()) p->meta.labels.emplace_back(api::kTemplateHashLabel, revision);
  if (retiring) p->meta.annotations.emplace_back(api::kRetiringAnnotation, "2026-01-01T00:00:00Z");
  p->meta.deleting = deleting;
  return p;
}

TEST(CountRevisions, CountsLivePodsOfTheUpdateRevisionAndNamesTheRest) {
  Expectations::CachedPods pods{{"p-0", Pod("new")},
                                {"p-1", Pod("new")},
                                {"p-2", Pod("old")},
                                {"p-3", Pod("old")},
                                {"p-4", Pod("older")},
                                {"p-5", Pod("new", /*retiring=*/true)},
                                {"p-6", Pod("new", false, /*deleting=*/true)},
                                {"p-7", Pod("new")}};
  RevisionCounts c = CountRevisions(pods, {"p-7"}, "new", "new");
  EXPECT_EQ(c.updated, 2);
  EXPECT_EQ(c.current_revision, "old");

  c = CountRevisions(pods, {"p-2", "p-3", "p-4"}, "new", "new");
  EXPECT_EQ(c.updated, 3);
  EXPECT_EQ(c.current_revision, "new") << "every live pod runs the update revision";
}

// Pods made by an operator before revisions existed carry no label: they run
// what the status last called current, and on the first pass that knows
// revisions, the template of the day (so upgrading the operator rolls nothing).
TEST(CountRevisions, UnlabelledPodsRunTheRevisionTheyAreTakenFor) {
  Expectations::CachedPods pods{{"p-0", Pod("")}, {"p-1", Pod("")}, {"p-2", Pod("new")}};
  EXPECT_EQ(CountRevisions(pods, {}, "new", "new").updated, 3);
  RevisionCounts c = CountRevisions(pods, {}, "new", "before");
  EXPECT_EQ(c.updated, 1);
  EXPECT_EQ(c.current_revision, "before");
  EXPECT_EQ(PodRevision(*pods["p-0"], "before"), "before");
  EXPECT_EQ(PodRevision(*pods["p-2"], "before"), "new");
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
