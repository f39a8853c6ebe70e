// Hand-off latency under the wiring production uses: agents read their
// assignment from a downward-API file that agent-kubelet refreshes once a
// kubelet sync period (60 s), and from the copy the operator publishes in the
// lease store. A fleet is scaled between 3 and 5 pods, round after round,
// and the operator's agentfleet_handoff_seconds histogram gives p50 and p99
// of the rounds' hand-offs. In `make test` the store path alone, 2 rounds,
// p99 within 2.5 s (a bucket's margin over the 2 s goal); the bench
// (tests/bench/fleet/handoff) also runs the file alone
// (--assignment-from-store=false) first, for the before/after figures.
#include "tests/e2e/fleet/fleet_harness.h"

namespace agentfleet {
namespace {

// A histogram's cumulative buckets: upper bound -> count.
using Buckets = std::map<double, double>;

// Prometheus' histogram_quantile: linear within the bucket that holds q.
double Quantile(double q, const Buckets& b) {
  if (b.empty() || b.rbegin()->second <= 0) return -1;
  const double rank = q * b.rbegin()->second;
  double lower = 0, below = 0;
  for (const auto& [le, count] : b) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;  // beyond the last bound: its lower edge
      return lower + (le - lower) * (count > below ? (rank - below) / (count - below) : 0);
    }
    lower = le;
    below = count;
  }
  return lower;
}

class HandoffE2E : public FleetE2E {
 protected:
  Buckets HandoffBuckets() {
    Buckets out;
    std::istringstream in(Metrics());
    const std::string family = "agentfleet_handoff_seconds_bucket{";
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(family, 0) != 0) continue;
      const auto le = line.find("le=\"");
      if (le == std::string::npos) continue;
      const std::string bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
      out[bound == "+Inf" ? INFINITY : std::stod(bound)] = std::stod(line.substr(line.rfind(' ')));
    }
    return out;
  }
  static Buckets Minus(Buckets after, const Buckets& before) {
    for (auto& [le, count] : after) {
      if (auto it = before.find(le); it != before.end()) count -= it->second;
    }
    return after;
  }
  void SetReplicas(int n) {
    auto p =
        client_->Patch(kPricingAgentFleets, ns(), "pricing", kube::rest::PatchType::kJsonMerge,
                       {{"spec", {{"autoscaling", {{"minReplicas", n}, {"maxReplicas", n}}}}}});
    ASSERT_TRUE(p.ok()) << p.error().ToString();
  }

  struct Figures {
    double count = 0, p50 = -1, p99 = -1, over_2s = 0, seconds = 0;
  };
  // `rounds` scale changes 3 -> 5 -> 3 ...; the hand-offs they caused.
  Figures Rounds(int rounds, Watchdog& dog, std::chrono::seconds settle) {
    const Buckets before = HandoffBuckets();
    const auto t0 = SteadyClock::now();
    for (int i = 0; i < rounds; ++i) {
      const int n = i % 2 == 0 ? 5 : 3;
      SetReplicas(n);
      EXPECT_TRUE(Eventually([&] { return Settled(n, dog); }, settle)) << "round " << i << "\n"
                                                                       << Diagnostics();
      // The operator counts a hand-off at its next pass (poll 1 s).
      std::this_thread::sleep_for(1500ms);
    }
    Figures f;
    f.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const Buckets mine = Minus(HandoffBuckets(), before);
    if (!mine.empty()) f.count = mine.rbegin()->second;
    f.p50 = Quantile(0.5, mine);
    f.p99 = Quantile(0.99, mine);
    if (auto two = mine.find(2.0); two != mine.end()) f.over_2s = f.count - two->second;
    return f;
  }
};

TEST_F(HandoffE2E, HandOffsUnderTheDefaultWiringTakeAboutASecond) {
  ASSERT_TRUE(
      client_->Create(kube::rest::resources::kSecrets, ns(), testing::RedisSecret(ns(), kPassword))
          .ok());
  Json f = Fleet();
  f["spec"]["autoscaling"]["minReplicas"] = 3;
  f["spec"]["autoscaling"]["maxReplicas"] = 3;
  ASSERT_TRUE(client_->Create(kPricingAgentFleets, ns(), f).ok());
  Watchdog dog(OpenLeases(), ns());
  StartController();
  const int rounds = EnvInt("AGENTFLEET_HANDOFF_ROUNDS", 2);
  std::ostringstream report;
  report << "hand-offs, " << kShards << " shards, 3 <-> 5 pods, " << rounds
         << " rounds per wiring, kubelet file refresh every "
         << (std::getenv("AGENTFLEET_KUBELET_SYNC_PERIOD")
                 ? std::getenv("AGENTFLEET_KUBELET_SYNC_PERIOD")
                 : "60s")
         << " (agentfleet_handoff_seconds, histogram_quantile):\n";
  auto line = [&](const char* wiring, const Figures& x) {
    report << "  " << wiring << ": " << x.count << " hand-offs, p50 " << x.p50 << " s, p99 "
           << x.p99 << " s, " << x.over_2s << " over 2 s, rounds took " << x.seconds << " s\n";
  };

  if (EnvInt("AGENTFLEET_HANDOFF_BEFORE", 0) > 0) {
    // Before: the file alone, as every agent had it before the store path.
    StartKubelet({"--assignment-from-store=false"});
    ASSERT_TRUE(Eventually([&] { return Settled(3, dog); }, 180s)) << Diagnostics();
    line("before (file only)", Rounds(rounds, dog, 240s));
    EXPECT_EQ(kubelet_.Stop(), 0) << ReadFile(kubelet_.log);
    SetReplicas(3);
  }

  StartKubelet();
  ASSERT_TRUE(Eventually([&] { return Settled(3, dog); }, 180s)) << Diagnostics();
  const Figures after = Rounds(rounds, dog, 60s);
  line("after (file + lease store)", after);
  std::cout << report.str();
  RecordProperty("handoff_p99_seconds", std::to_string(after.p99));

  EXPECT_GT(after.count, 0) << report.str();
  // Measured at the operator's passes (poll 1 s), so a hand-off of half a
  // second may count as 1.5 s; the file alone takes tens.
  EXPECT_LE(after.p99, 2.5) << report.str();
  dog.Stop();
  for (const auto& v : dog.Violations()) ADD_FAILURE() << v;
  EXPECT_LE(dog.MaxValidPerShard(), 1);
  EXPECT_EQ(kubelet_.Stop(), 0) << ReadFile(kubelet_.log);
}

}  // namespace
}  // namespace agentfleet
