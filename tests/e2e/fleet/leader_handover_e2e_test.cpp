// Never two leaders acting. Two agentfleet-controller processes elect a
// leader; a manual fleet scales from 0 to 500 pods (kwok nodes, no agents);
// half-way the leader is stopped — by SIGTERM, as every rolling update of the
// operator does, or by SIGSTOP for longer than its lease, as a frozen node
// would — and the standby takes over and finishes the scale-up. The judge is
// the API server's audit log (tests/cluster/cluster.sh), in which each
// process's user agent carries its leader identity: no write of the old
// leader may reach the API server after the new leader's first write.
#include "tests/e2e/fleet/fleet_harness.h"
#include "tests/support/audit_log.h"

namespace agentfleet {
namespace {

constexpr int kReplicas = 500;
const kube::rest::Resource kLeases{"coordination.k8s.io", "v1", "leases", true};

// Waits for `pid` to end; its exit code (128 + signal when killed), or -1 when
// it is still running after `timeout`.
int WaitExit(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (int status = 0; SteadyClock::now() < deadline; std::this_thread::sleep_for(50ms)) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  return -1;
}

class LeaderHandoverE2E : public FleetE2E {
 protected:
  void TearDown() override {
    for (Child* c : {&a_, &b_}) {
      if (c->pid > 0) kill(c->pid, SIGCONT);
      c->Stop(10s);
    }
    FleetE2E::TearDown();
  }

  // 500 pods in manual mode: no queue to watch, no agent to run.
  Json BigFleet() const {
    Json f = ManualFleet(kReplicas);
    f["spec"]["shards"] = 512;
    return f;
  }

  // POD_NAME starts the process's leader identity, which its user agent carries.
  void StartOperator(Child& child, const std::string& name) {
    child.log = dir_ + "/" + name + ".log";
    child.pid = testing::StartProcess(
        AGENTFLEET_BIN_DIR "/agentfleet-controller",
        {"--kubeconfig", std::getenv("KUBECONFIG"), "--namespace", ns(), "--metrics-bind-address",
         "0", "--health-probe-bind-address", "0", "--leader-elect", "--leader-election-namespace",
         ns(), "--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s",
         "--leader-elect-retry-period=500ms"},
        child.log, {"POD_NAME=" + name});
  }

  std::string Holder() {
    auto lease = client_->Get(kLeases, ns(), "agentfleet-controller");
    return lease ? (*lease)["spec"].value("holderIdentity", "") : "";
  }

  size_t LivePodCount() {
    auto list = client_->List(kPods, ns(), {.label_selector = "agentfleet.io/fleet=pricing"});
    if (!list) return 0;
    return std::count_if(list->items.begin(), list->items.end(), [](const Json& p) {
      return !p["metadata"].contains("deletionTimestamp");
    });
  }

  // Starts both operators and the scale-up; stops the leader with `signal`
  // once a third of the pods exist; checks that the standby finishes and
  // that the audit log shows no overlap.
  void HandOver(int signal) {
    ASSERT_TRUE(
        client_
            ->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
            .ok());
    StartOperator(a_, "op-a");
    ASSERT_TRUE(Eventually([&] { return Holder().starts_with("op-a_"); }, 30s))
        << "op-a was not elected; logs in " << dir_;
    StartOperator(b_, "op-b");
    auto created = client_->Create(kPricingAgentFleets, ns(), BigFleet());
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    const auto t0 = SteadyClock::now();
    auto since = [&] { return std::chrono::duration<double>(SteadyClock::now() - t0).count(); };
    std::ostringstream timeline;

    ASSERT_TRUE(Eventually([&] { return LivePodCount() >= kReplicas / 3; }, 60s))
        << LivePodCount() << " pods; logs in " << dir_;
    timeline << "  " << since() << " s: " << LivePodCount() << " pods, op-a "
             << (signal == SIGTERM ? "SIGTERMed" : "SIGSTOPped") << "\n";
    ASSERT_EQ(kill(a_.pid, signal), 0);
    int old_exit = -1;
    if (signal == SIGTERM) {
      old_exit = WaitExit(a_.pid, 30s);
      a_.pid = -1;
      timeline << "  " << since() << " s: op-a exited with " << old_exit << "\n";
      ASSERT_TRUE(Eventually([&] { return Holder().starts_with("op-b_"); }, 30s));
      timeline << "  " << since() << " s: op-b holds the Lease\n";
    } else {
      ASSERT_TRUE(Eventually([&] { return Holder().starts_with("op-b_"); }, 30s))
          << "op-b never took the Lease of the stopped op-a";
      const size_t at_takeover = LivePodCount();
      timeline << "  " << since() << " s: op-b holds the Lease, " << at_takeover << " pods\n";
      // The new leader acting, then the old one woken in the middle of its pass.
      ASSERT_TRUE(Eventually([&] { return LivePodCount() > at_takeover + 20; }, 30s));
      ASSERT_EQ(kill(a_.pid, SIGCONT), 0);
      timeline << "  " << since() << " s: " << LivePodCount() << " pods, op-a SIGCONTed\n";
      old_exit = WaitExit(a_.pid, 30s);
      a_.pid = -1;
      timeline << "  " << since() << " s: op-a exited with " << old_exit << "\n";
    }
    ASSERT_TRUE(Eventually([&] { return LivePodCount() == size_t(kReplicas); }, 90s))
        << LivePodCount() << " pods; logs in " << dir_;
    timeline << "  " << since() << " s: " << kReplicas << " pods\n";
    std::cout << "timeline:\n" << timeline.str();
    // SIGTERM is a clean stop; the frozen leader wakes without its Lease and
    // exits so that a fresh process campaigns.
    EXPECT_EQ(old_exit, signal == SIGTERM ? 0 : 1);

    // The Lease's own writes are the election itself (guarded by
    // resourceVersion); everything else is the operators acting.
    std::vector<testing::AuditedWrite> by_a, by_b;
    for (auto& w : testing::AuditedWrites(ns())) {
      if (w.resource == "leases") continue;
      if (w.user_agent.find("(op-a_") != std::string::npos) by_a.push_back(w);
      if (w.user_agent.find("(op-b_") != std::string::npos) by_b.push_back(w);
    }
    ASSERT_GE(by_a.size(), size_t(kReplicas / 3)) << "the old leader's writes are not in the "
                                                     "audit log (user agent without identity?)";
    ASSERT_FALSE(by_b.empty()) << "the new leader never wrote";
    const std::string first_b = by_b.front().received;
    std::vector<std::string> late;
    for (const auto& w : by_a) {
      if (w.completed >= first_b) {
        late.push_back(w.completed + " " + w.verb + " " + w.resource +
                       (w.subresource.empty() ? "" : "/" + w.subresource) + " " + w.name + " " +
                       std::to_string(w.code));
      }
    }
    std::cout << "audit: op-a wrote " << by_a.size() << " times, op-b " << by_b.size()
              << " times from " << first_b << "; op-a's last write ended " << by_a.back().completed
              << "\n";
    std::string sample;
    for (size_t i = 0; i < std::min<size_t>(late.size(), 5); ++i) sample += "\n  " + late[i];
    EXPECT_TRUE(late.empty()) << "the old leader wrote " << late.size()
                              << " times after the new leader's first write (" << first_b
                              << "), e.g.:" << sample << "\nlogs in " << dir_;
  }

  Child a_, b_;
};

TEST_F(LeaderHandoverE2E, SigtermedLeaderStopsWritingBeforeItReleasesTheLease) {
  HandOver(SIGTERM);
}

TEST_F(LeaderHandoverE2E, FrozenLeaderWritesNothingOnceItsTermIsOver) {
  HandOver(SIGSTOP);
}

}  // namespace
}  // namespace agentfleet
