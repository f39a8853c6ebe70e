// The leader elector and its gate on the fake API client: a renewal cannot
// outlast the renew deadline however the server hangs, a term counts from the
// start of the attempt that won it, and a process that lost (or gives up) the
// Lease lets no write out.
#include "controller/kube/leader/leader_elector.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/support/fake_client.h"
#include "tests/support/recording_http_server.h"

namespace agentfleet::kube::leader {
namespace {

using namespace std::chrono_literals;
using agentfleet::testing::FakeClient;
using agentfleet::testing::Verb;
using SteadyClock = std::chrono::steady_clock;

const rest::Resource& kLeases = rest::resources::kLeases;

// Runs an elector on its own thread and tells when it started and stopped leading.
class Campaign {
 public:
  Campaign(rest::Client& client, LeaderElectionConfig config, const Clock& clock) {
    config.on_started_leading = [this] { Mark(started_); };
    config.on_stopped_leading = [this] { Mark(stopped_); };
    elector_ = std::make_unique<LeaderElector>(client, std::move(config), clock);
    thread_ = std::thread([this] {
      const bool by_stop = elector_->Run();
      std::lock_guard lock(mu_);
      result_ = by_stop;
      cv_.notify_all();
    });
  }
  ~Campaign() {
    elector_->Stop();
    thread_.join();
  }
  // When it happened, or nullopt after `timeout`.
  std::optional<SteadyClock::time_point> Started(std::chrono::milliseconds timeout) {
    return Wait(started_, timeout);
  }
  std::optional<SteadyClock::time_point> Stopped(std::chrono::milliseconds timeout) {
    return Wait(stopped_, timeout);
  }
  // What Run returned (true: ended by Stop), once it has.
  std::optional<bool> Result(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return result_.has_value(); });
    return result_;
  }
  LeaderElector& elector() { return *elector_; }

 private:
  void Mark(std::optional<SteadyClock::time_point>& at) {
    std::lock_guard lock(mu_);
    at = SteadyClock::now();
    cv_.notify_all();
  }
  std::optional<SteadyClock::time_point> Wait(std::optional<SteadyClock::time_point>& at,
                                              std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return at.has_value(); });
    return at;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<SteadyClock::time_point> started_, stopped_;
  std::optional<bool> result_;
  std::unique_ptr<LeaderElector> elector_;
  std::thread thread_;
};

LeaderElectionConfig Config(LeadershipGate& gate) {
  return {.namespace_name = "ops",
          .name = "agentfleet",
          .identity = "me",
          .lease_duration = 1500ms,
          .renew_deadline = 600ms,
          .retry_period = 100ms,
          .gate = &gate};
}

TEST(LeaderElector, AHangingRenewGivesUpByTheRenewDeadline) {
  FakeClient client;
  LeadershipGate gate;
  Campaign campaign(client, Config(gate), RealClock::Instance());
  ASSERT_TRUE(campaign.Started(5s));
  std::this_thread::sleep_for(300ms);  // a few renewals
  ASSERT_TRUE(gate.Admit().ok());
  // From now on the API server takes 10 s to answer a renewal's update or
  // read (the client's own timeout would allow 30 s, and retries).
  const auto hang = SteadyClock::now();
  client.SetLatency(Verb::kUpdate, 10s);
  client.SetLatency(Verb::kGet, 10s);
  auto stopped = campaign.Stopped(5s);
  ASSERT_TRUE(stopped) << "still leading 5 s into a hang, with a 600 ms renew deadline";
  // The last successful renewal started before the hang: its deadline is
  // at most 600 ms after it, plus the time to notice.
  EXPECT_LT(*stopped - hang, 600ms + 150ms);
  EXPECT_FALSE(gate.Admit().ok());
  EXPECT_EQ(campaign.Result(1s), false) << "leadership lost, not stopped";
}

TEST(LeaderElector, TheTermCountsFromTheStartOfTheAttemptNotItsReply) {
  FakeClock clock;
  FakeClient client(clock);
  LeadershipGate gate(clock);
  const auto t0 = clock.Now();
  // The create that wins the Lease is answered 4 s after it was sent; after
  // it the server is unreachable, so no renewal moves the term on.
  std::atomic<bool> won{false};
  client.AddFault([&](const agentfleet::testing::Call& call) -> std::optional<Error> {
    if (won) return MakeError(ErrorCode::kUnavailable, "connection refused");
    if (call.verb == Verb::kCreate && call.resource == "leases") {
      clock.Advance(4s);
      won = true;
    }
    return std::nullopt;
  });
  LeaderElectionConfig config = Config(gate);
  config.lease_duration = 15s;
  config.renew_deadline = 10s;
  config.retry_period = 10ms;
  Campaign campaign(client, config, clock);
  ASSERT_TRUE(campaign.Started(5s));
  auto until = gate.Admit();
  ASSERT_TRUE(until.ok()) << until.error().ToString();
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*until - t0).count(), 10'000)
      << "the term must end 10 s after the attempt began, not after the reply";
  clock.Advance(6s - 1ms);  // t0 + 10 s - 1 ms
  EXPECT_TRUE(gate.Admit().ok());
  clock.Advance(1ms);
  auto refused = gate.Admit();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("not the leader"), std::string::npos);
  EXPECT_TRUE(campaign.Stopped(5s));
}

TEST(LeaderElector, ALeaseTakenByAnotherHolderEndsTheTermAtOnce) {
  FakeClient client;
  LeadershipGate gate;
  LeaderElectionConfig config = Config(gate);
  config.renew_deadline = 5s;
  config.lease_duration = 10s;
  Campaign campaign(client, config, RealClock::Instance());
  ASSERT_TRUE(campaign.Started(5s));
  auto lease = client.Peek(kLeases, "ops", "agentfleet");
  ASSERT_TRUE(lease);
  (*lease)["spec"]["holderIdentity"] = "someone-else";
  client.Put(kLeases, *lease);
  auto stopped = campaign.Stopped(2s);
  ASSERT_TRUE(stopped) << "kept leading (and writing) until the renew deadline";
  EXPECT_FALSE(gate.Admit().ok());
  EXPECT_EQ(campaign.Result(1s), false);
}

// Holding the Lease, a renewal is the update of the record it wrote last:
// one request, not a read and an update (0.5 requests/s at the default 2 s).
TEST(LeaderElector, ARenewalIsOneUpdateWithoutARead) {
  FakeClient client;
  LeadershipGate gate;
  Campaign campaign(client, Config(gate), RealClock::Instance());
  ASSERT_TRUE(campaign.Started(5s));
  const size_t gets = client.CountCalls(Verb::kGet, "leases");
  std::this_thread::sleep_for(1s);  // about 10 renewals at the 100 ms retry period
  EXPECT_GE(client.CountCalls(Verb::kUpdate, "leases"), 5u);
  EXPECT_EQ(client.CountCalls(Verb::kGet, "leases"), gets);
  EXPECT_TRUE(campaign.elector().IsLeader());
}

TEST(LeaderElector, StopClosesTheGateBeforeTheLeaseIsReleased) {
  FakeClient client;
  LeadershipGate gate;
  LeaderElectionConfig config = Config(gate);
  std::optional<std::string> holder_when_stopped;
  bool gate_open_when_stopped = true;
  config.on_stopped_leading = [&] {
    gate_open_when_stopped = gate.Admit().ok();
    auto lease = client.Peek(kLeases, "ops", "agentfleet");
    holder_when_stopped = lease ? (*lease)["spec"].value("holderIdentity", "") : "";
  };
  LeaderElector elector(client, config);
  std::thread run([&] { EXPECT_TRUE(elector.Run()); });
  for (int i = 0; i < 500 && !elector.IsLeader(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(elector.IsLeader());
  EXPECT_TRUE(gate.Admit().ok());
  elector.Stop();
  run.join();
  EXPECT_FALSE(gate_open_when_stopped);
  EXPECT_EQ(holder_when_stopped, "me") << "the Lease went before the writes stopped";
  EXPECT_EQ((*client.Peek(kLeases, "ops", "agentfleet"))["spec"]["holderIdentity"], "")
      << "not released";
}

// Through the real REST client: the gate's refusal happens before any byte
// is sent.
TEST(LeadershipGate, AWriteAfterTheDeadlineNeverLeavesTheProcess) {
  agentfleet::testing::RecordingHttpServer server(
      [](const std::string&, const std::string&) { return agentfleet::testing::ScriptedReply{}; });
  LeadershipGate gate;
  config::RestConfig cfg;
  cfg.server = server.url();
  auto client =
      std::move(rest::Client::Create(cfg, {.write_gate = [&] { return gate.Admit(); }})).value();
  const rest::Json patch = {{"metadata", {{"labels", {{"a", "b"}}}}}};
  auto write = [&] {
    return client->Patch(rest::resources::kPods, "ns", "p", rest::PatchType::kJsonMerge, patch);
  };

  EXPECT_FALSE(write().ok()) << "written before any term began";
  gate.OpenUntil(SteadyClock::now() + 200ms);
  EXPECT_TRUE(write().ok());
  EXPECT_EQ(server.requests().size(), 1u);
  std::this_thread::sleep_for(250ms);  // the renew deadline passes without a renewal
  auto late = write();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(late.error().message.find("not the leader"), std::string::npos);
  gate.OpenUntil(SteadyClock::now() + 10s);
  gate.Revoke();
  gate.OpenUntil(SteadyClock::now() + 20s);  // a renewal racing with the revocation
  EXPECT_FALSE(write().ok());
  EXPECT_EQ(server.requests().size(), 1u) << "a refused write reached the server";
  EXPECT_TRUE(client->Get(rest::resources::kPods, "ns", "p").ok()) << "reads are not gated";
}

}  // namespace
}  // namespace agentfleet::kube::leader
