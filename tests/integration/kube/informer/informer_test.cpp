#include "controller/kube/informer/informer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "controller/kube/informer/pod.h"
#include "tests/support/cluster.h"

namespace agentfleet::kube::informer {
namespace {

using namespace std::chrono_literals;
using testing::ClusterClient;
using testing::ScopedNamespace;

rest::Json Pod(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"labels", {{"app", "informer-test"}}},
            {"annotations",
             {{"agentfleet.io/shards", "0-3"}, {"other.io/big", std::string(500, 'x')}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "registry.invalid/c:1"}}}}}}};
}

// What handlers saw: key -> resourceVersion, built only from add/update/delete.
class HandlerView {
 public:
  EventHandlers<PodRecord> Handlers() {
    return {.on_add = [this](const auto& p) { Set(p->meta.Key(), p->meta.resource_version); },
            .on_update = [this](const auto&,
                                const auto& p) { Set(p->meta.Key(), p->meta.resource_version); },
            .on_delete =
                [this](const auto& p) {
                  std::lock_guard lock(mu_);
                  view_.erase(p->meta.Key());
                }};
  }
  std::map<std::string, std::string> Snapshot() {
    std::lock_guard lock(mu_);
    return view_;
  }

 private:
  void Set(const std::string& k, const std::string& rv) {
    std::lock_guard lock(mu_);
    view_[k] = rv;
  }
  std::mutex mu_;
  std::map<std::string, std::string> view_;
};

std::map<std::string, std::string> StoreView(const Store<PodRecord>& store) {
  std::map<std::string, std::string> out;
  for (const auto& p : store.List()) out[p->meta.Key()] = p->meta.resource_version;
  return out;
}

std::map<std::string, std::string> FreshList(rest::Client& client, const std::string& ns) {
  auto page = client.List(rest::resources::kPods, ns, {.label_selector = "app=informer-test"});
  EXPECT_TRUE(page.ok());
  std::map<std::string, std::string> out;
  if (!page.ok()) return out;
  for (const auto& item : page->items) {
    out[meta::ObjectKey(item)] = item["metadata"]["resourceVersion"].get<std::string>();
  }
  return out;
}

// Waits until the informer's cache and the handlers' view both equal a fresh list.
void ExpectConverges(rest::Client& client, const std::string& ns, Informer<PodRecord>& informer,
                     HandlerView& view) {
  std::map<std::string, std::string> fresh;
  for (int i = 0; i < 300; ++i) {
    fresh = FreshList(client, ns);
    if (StoreView(informer.store()) == fresh && view.Snapshot() == fresh) return;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(StoreView(informer.store()), fresh) << "the cache differs from a fresh list";
  EXPECT_EQ(view.Snapshot(), fresh) << "handlers missed an event or saw a phantom one";
}

// cluster.sh VERB DIR [ARG]: restarts or compacts the fixture's control plane.
void ClusterScript(const std::string& verb, const std::string& arg = {}) {
  const char* script = std::getenv("AGENTFLEET_CLUSTER_SCRIPT");
  const char* dir = std::getenv("AGENTFLEET_CLUSTER_DIR");
  ASSERT_NE(script, nullptr);
  ASSERT_NE(dir, nullptr);
  std::string cmd = std::string(script) + " " + verb + " " + dir + " " + arg;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// Compacts etcd; returns the revision compacted at.
int64_t Compact() {
  std::string out;
  std::string cmd = std::string(std::getenv("AGENTFLEET_CLUSTER_SCRIPT")) + " compact " +
                    std::getenv("AGENTFLEET_CLUSTER_DIR");
  if (testing::Shell(cmd, &out) != 0) return 0;
  auto at = out.find("revision ");
  return at == std::string::npos ? 0 : std::stoll(out.substr(at + 9));
}

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = ClusterClient({.max_retries = 10});
    ns_ = std::make_unique<ScopedNamespace>(*client_, "informer");
    for (int i = 0; i < 40; ++i) {
      auto created = client_->Create(rest::resources::kPods, ns(), Pod("p" + std::to_string(i)));
      ASSERT_TRUE(created.ok()) << created.error().ToString();
    }
    informer_ = std::make_unique<Informer<PodRecord>>(
        *client_, rest::resources::kPods, ToPodRecord,
        ReflectorOptions{
            .namespace_name = ns(), .label_selector = "app=informer-test", .page_size = 7});
    informer_->AddHandlers(view_.Handlers());
    informer_->Start();
    ASSERT_TRUE(informer_->WaitForSync(30s));
  }
  void TearDown() override {
    informer_.reset();
    ns_.reset();
  }
  const std::string& ns() { return ns_->name(); }

  // Deletes, updates and creates pods; returns once the API server has them.
  void Churn(int round) {
    for (int i = 0; i < 5; ++i) {
      std::string victim = "p" + std::to_string(round * 5 + i);
      ASSERT_TRUE(
          client_->Delete(rest::resources::kPods, ns(), victim, {.grace_period_seconds = 0}).ok());
      std::string touched = "p" + std::to_string(20 + round * 5 + i);
      ASSERT_TRUE(client_
                      ->Patch(rest::resources::kPods, ns(), touched, rest::PatchType::kJsonMerge,
                              {{"metadata", {{"annotations", {{"agentfleet.io/shards", "9"}}}}}})
                      .ok());
      ASSERT_TRUE(client_
                      ->Create(rest::resources::kPods, ns(),
                               Pod("new-" + std::to_string(round) + "-" + std::to_string(i)))
                      .ok());
    }
  }

  std::unique_ptr<rest::Client> client_;
  std::unique_ptr<ScopedNamespace> ns_;
  std::unique_ptr<Informer<PodRecord>> informer_;
  HandlerView view_;
};

TEST_F(InformerTest, SyncsPagedListAndKeepsCompactRecords) {
  ExpectConverges(*client_, ns(), *informer_, view_);
  EXPECT_EQ(informer_->store().Size(), 40u);
  auto p = informer_->store().Get(ns() + "/p1");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->meta.Annotation("agentfleet.io/shards"), nullptr);
  EXPECT_EQ(*p->meta.Annotation("agentfleet.io/shards"), "0-3");
  EXPECT_EQ(p->meta.Annotation("other.io/big"), nullptr) << "foreign annotations are dropped";
  EXPECT_EQ(informer_->store().ByIndex("namespace", ns()).size(), 40u);
  Churn(0);
  ExpectConverges(*client_, ns(), *informer_, view_);
}

TEST_F(InformerTest, StaysIdenticalAcrossApiServerRestart) {
  ExpectConverges(*client_, ns(), *informer_, view_);
  auto watches = informer_->stats().watches.load();
  ClusterScript("restart", "kube-apiserver");
  Churn(1);  // while the informer is still reconnecting
  ExpectConverges(*client_, ns(), *informer_, view_);
  EXPECT_GT(informer_->stats().watches.load(), watches) << "the watch was re-established";
  EXPECT_GE(informer_->stats().watch_errors.load(), 1);
}

TEST_F(InformerTest, RelistsAfterItsVersionIsCompactedAway) {
  ExpectConverges(*client_, ns(), *informer_, view_);
  auto relists = informer_->stats().relists.load();
  // Move etcd past the informer's last version with a write it does not watch,
  // compact, and restart the API server so its watch cache cannot serve the gap.
  // A bookmark can move the informer past the compaction; then try again.
  rest::Resource cms{"", "v1", "configmaps", true};
  bool behind = false;
  for (int attempt = 0; attempt < 5 && !behind; ++attempt) {
    rest::Json cm = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", "bump-" + std::to_string(attempt)}}}};
    ASSERT_TRUE(client_->Create(cms, ns(), cm).ok());
    int64_t compacted = Compact();
    ASSERT_GT(compacted, 0);
    behind = std::stoll(informer_->LastResourceVersion()) < compacted;
  }
  ASSERT_TRUE(behind) << "the informer kept up with the compaction through bookmarks";
  ClusterScript("restart", "kube-apiserver");
  Churn(2);
  ExpectConverges(*client_, ns(), *informer_, view_);
  EXPECT_GT(informer_->stats().relists.load(), relists) << "410 Gone must force a relist";
}

}  // namespace
}  // namespace agentfleet::kube::informer
