// Informer benchmark against the local control plane:
//   informer_bench populate NAMESPACE COUNT   create COUNT agent-shaped pods, wait Running
//   informer_bench measure  NAMESPACE COUNT   sync a pod informer; print RSS, sync time,
//                                             then watch-event throughput
//   informer_bench touch    NAMESPACE COUNT   patch every pod once (measure runs it)
// `measure` runs in its own process so that its RSS is the informer's alone.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "controller/kube/informer/informer.h"
#include "controller/kube/informer/pod.h"
#include "tests/support/cluster.h"

namespace {

using agentfleet::kube::informer::Informer;
using agentfleet::kube::informer::PodRecord;
using agentfleet::kube::informer::ToPodRecord;
using agentfleet::kube::rest::ConfigureHttpThreads;
using agentfleet::kube::rest::Json;
using agentfleet::kube::rest::PatchType;
using agentfleet::kube::rest::resources::kNamespaces;
using agentfleet::kube::rest::resources::kPods;
using Clock = std::chrono::steady_clock;

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field) + 1));
  }
  return -1;
}

Json AgentPod(const std::string& name, int i) {
  std::string node = "kwok-node-" + std::to_string(i % 3);
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {
      "name": ")" + name +
                     R"(",
      "labels": {"app.kubernetes.io/name": "pricing-agent", "app.kubernetes.io/managed-by": "agentfleet",
                 "agentfleet.io/fleet": "bench", "bench": "informer"},
      "annotations": {"agentfleet.io/shards": "0-15,32,40-47", "agentfleet.io/assignment-generation": "7",
                      "kubectl.kubernetes.io/default-container": "agent",
                      "prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
      "ownerReferences": [{"apiVersion": "agentfleet.io/v1alpha1", "kind": "PricingAgentFleet",
                           "name": "bench", "uid": "0b6c1f5e-8f3a-4a41-9d6e-3c2f1a7b9e01",
                           "controller": true, "blockOwnerDeletion": true}]},
    "spec": {
      "nodeName": ")" +
                     node + R"(",
      "containers": [{
        "name": "agent", "image": "registry.invalid/pricing-agent:1.4.2",
        "args": ["--assignment-file=/etc/agentfleet/annotations", "--metrics-port=9090"],
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "AGENTFLEET_FLEET", "value": "bench"},
                {"name": "AGENTFLEET_SHARDS", "value": "1024"},
                {"name": "AGENTFLEET_ASSIGNMENT_FILE", "value": "/etc/agentfleet/annotations"},
                {"name": "REDIS_URL", "value": "redis://redis.pricing.svc:6379"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "ports": [{"name": "metrics", "containerPort": 9090}],
        "volumeMounts": [{"name": "assignment", "mountPath": "/etc/agentfleet"}]}],
      "volumes": [{"name": "assignment", "downwardAPI": {"items": [
        {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}}]}})");
}

template <typename F>
void Parallel(int count, int threads, F f) {
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = next++; i < count; i = next++) f(i);
    });
  }
  for (auto& t : ts) t.join();
}

int Populate(const std::string& ns, int count) {
  auto client = agentfleet::testing::ClusterClient({.max_retries = 10});
  (void)client->Create(kNamespaces, "",
                       {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  auto start = Clock::now();
  std::atomic<int> failed{0};
  Parallel(count, 16, [&](int i) {
    auto r = client->Create(kPods, ns, AgentPod("agent-" + std::to_string(i), i));
    if (!r && r.error().code != agentfleet::ErrorCode::kAlreadyExists) ++failed;
  });
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "populate: created " << count << " pods in " << secs << " s (" << count / secs
            << " pods/s), failures " << failed << "\n";
  // Wait until kwok has made them all Running, so the measured objects carry a status.
  for (int i = 0; i < 600; ++i) {
    auto pending = client->List(kPods, ns, {.field_selector = "status.phase!=Running", .limit = 1});
    if (pending && pending->items.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::cout << "populate: all Running after "
            << std::chrono::duration<double>(Clock::now() - start).count() << " s\n";
  return failed == 0 ? 0 : 1;
}

// Patches every pod once with a value never written before.
int Touch(const std::string& ns, int count) {
  auto client = agentfleet::testing::ClusterClient({.max_retries = 10});
  std::string generation = std::to_string(Clock::now().time_since_epoch().count());
  Parallel(count, 16, [&](int i) {
    (void)client->Patch(
        kPods, ns, "agent-" + std::to_string(i), PatchType::kJsonMerge,
        {{"metadata", {{"annotations", {{"agentfleet.io/assignment-generation", generation}}}}}});
  });
  return 0;
}

int Measure(const std::string& ns, int count) {
  // As agentfleet-controller's main does.
  mallopt(M_ARENA_MAX, 2);
  ConfigureHttpThreads(4);
  auto client = agentfleet::testing::ClusterClient({.max_retries = 10});
  long rss_before = StatusKb("VmRSS:");
  Informer<PodRecord> informer(*client, kPods, ToPodRecord,
                               {.namespace_name = ns, .label_selector = "bench=informer"});
  std::atomic<int64_t> updates{0};
  informer.AddHandlers({.on_update = [&](const auto&, const auto&) { ++updates; }});
  auto start = Clock::now();
  informer.Start();
  if (!informer.WaitForSync(std::chrono::minutes(5)) || informer.store().Size() != size_t(count)) {
    std::cerr << "measure: synced " << informer.store().Size() << " of " << count << " pods\n";
    return 1;
  }
  double sync = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let transient list buffers go
  long rss = StatusKb("VmRSS:"), hwm = StatusKb("VmHWM:");
  struct mallinfo2 mi = mallinfo2();
  std::cout << "measure: heap in use " << mi.uordblks / 1048576.0 << " MiB of "
            << mi.arena / 1048576.0 << " MiB main arena, " << mi.hblkhd / 1048576.0
            << " MiB mmapped\n";
  std::cout << "measure: initial sync of " << count << " pods: " << sync << " s\n"
            << "measure: RSS before informer " << rss_before / 1024.0 << " MiB, after sync "
            << rss / 1024.0 << " MiB, peak " << hwm / 1024.0 << " MiB\n";

  // Processing throughput: replay one MODIFIED event per pod, as watch lines
  // (parse + transform + store + handlers), without the API server in the way.
  std::vector<std::string> lines;
  auto listed = client->ListEach(kPods, ns, {.label_selector = "bench=informer"}, [&](Json&& item) {
    item["metadata"]["resourceVersion"] = "replay";
    lines.push_back(Json{{"type", "MODIFIED"}, {"object", item}}.dump());
  });
  if (!listed) return 1;
  updates = 0;
  auto replay_start = Clock::now();
  for (const auto& line : lines) {
    Json ev = Json::parse(line);
    informer.Apply(ev["type"], ev["object"]);
  }
  double replay = std::chrono::duration<double>(Clock::now() - replay_start).count();
  std::cout << "measure: replayed " << updates << " watch events in " << replay << " s ("
            << updates / replay << " events/s processed)\n";
  lines = {};
  malloc_trim(0);

  // End to end: another process patches every pod once; count the updates the
  // informer applies. Bounded by the API server's write rate on this machine.
  updates = 0;
  auto churn_start = Clock::now();
  std::string self = std::filesystem::read_symlink("/proc/self/exe");
  std::string cmd = self + " touch " + ns + " " + std::to_string(count) + " >/dev/null";
  std::thread churn([&] { (void)std::system(cmd.c_str()); });
  while (updates < count && Clock::now() - churn_start < std::chrono::minutes(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  double churn_secs = std::chrono::duration<double>(Clock::now() - churn_start).count();
  churn.join();
  std::cout << "measure: " << updates << " watch events applied in " << churn_secs << " s ("
            << updates / churn_secs << " events/s end to end, bounded by the API server)\n"
            << "measure: RSS at the end " << StatusKb("VmRSS:") / 1024.0 << " MiB\n";
  return updates >= count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: informer_bench populate|measure NAMESPACE COUNT\n";
    return 2;
  }
  std::string mode = argv[1];
  int count = std::atoi(argv[3]);
  if (mode == "populate") return Populate(argv[2], count);
  if (mode == "measure") return Measure(argv[2], count);
  if (mode == "touch") return Touch(argv[2], count);
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}
