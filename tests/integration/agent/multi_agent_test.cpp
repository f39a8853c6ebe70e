// THE multi-agent run: 8 pricing-agent processes on 64 shards, the
// assignment files rewritten every few seconds with a balanced split that
// moves, random kill -9 (and restart) of agents, tasks pushed all along; a
// checker samples the lease table and the result store throughout. See
// fleet_checks.h for what is checked and how; docs/protocol.md "## Agent" for
// the figures' meaning. Duration: $AGENTFLEET_AGENT_RUN_SECONDS (default 35).

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <charconv>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "controller/sources/lease/redis_lease_store.h"
#include "controller/sources/protocol/shard.h"
#include "controller/sources/protocol/shard_ranges.h"
#include "controller/sources/queue/redis_source.h"
#include "controller/sources/redis/client.h"
#include "examples/agent/results/task_version.h"
#include "examples/agent/task.h"
#include "tests/integration/agent/agent_process.h"
#include "tests/integration/agent/fleet_checks.h"
#include "tests/integration/agent/result_sample.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;
constexpr uint32_t kShards = 64;
constexpr int kAgents = 8;
// Products repeat: each gets dozens of tasks over the run, so its tasks
// straddle hand-offs and only the newest one's price may remain.
constexpr int kProducts = 256;

int RunSeconds() {
  const char* v = std::getenv("AGENTFLEET_AGENT_RUN_SECONDS");
  return v == nullptr ? 35 : std::max(5, std::atoi(v));
}

std::unique_ptr<sources::redis::Client> Connect(int port) {
  sources::redis::Options o;
  o.port = static_cast<uint16_t>(port);
  o.command_timeout = 5s;
  auto c = sources::redis::Client::Connect(o);
  if (!c.ok()) throw std::runtime_error(c.error().ToString());
  return std::move(c).value();
}

class MultiAgentRun : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = RedisPort();
    url_ = "redis://127.0.0.1:" + std::to_string(port_);
    char tmpl[] = "/tmp/agentfleet-fleet-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fleet_ = "multi-" + std::to_string(getpid());
    prefix_ = "tasks:" + fleet_;
  }
  void TearDown() override {
    for (auto& a : agents_) a.reset();
    if (!::testing::Test::HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  std::string File(int i) const { return dir_ + "/annotations-" + std::to_string(i); }

  void Start(int i) {
    agents_[i] = std::make_unique<AgentProcess>(
        std::vector<std::string>{"--pod-name=agent-" + std::to_string(i), "--fleet=" + fleet_,
                                 "--shards=64", "--lease-store=" + url_, "--queue-url=" + url_,
                                 "--queue-prefix=" + prefix_, "--assignment-file=" + File(i),
                                 "--lease-duration=2s", "--poll-interval=100ms", "--tick=200ms",
                                 // Longer than the TTL (short leases): a dead owner's pending
                                 // tasks are claimed after its successor has priced newer
                                 // tasks of the same products.
                                 "--block=100ms", "--batch-size=32", "--claim-min-idle=3s",
                                 "--metrics-bind-address=0", "--log-level=warn"},
        dir_ + "/agent-" + std::to_string(i) + ".log");
  }

  // A balanced split (8 shards each) rotated by `offset`: every rewrite moves
  // most shards to another agent.
  void WriteAssignments(int64_t generation, uint32_t offset) {
    for (int i = 0; i < kAgents; ++i) {
      std::vector<uint32_t> shards;
      for (uint32_t k = 0; k < kShards / kAgents; ++k) {
        shards.push_back((i * (kShards / kAgents) + k + offset) % kShards);
      }
      std::sort(shards.begin(), shards.end());
      WriteFileAtomically(
          File(i), AnnotationsFile(generation, sources::protocol::FormatShardRanges(shards)));
    }
  }

  int port_ = 0;
  std::string url_, dir_, fleet_, prefix_;
  std::unique_ptr<AgentProcess> agents_[kAgents];
};

TEST_F(MultiAgentRun, EightAgentsSixtyFourShardsMovesAndKills) {
  const auto run_for = std::chrono::seconds(RunSeconds());
  int64_t generation = 1;
  uint32_t offset = 0;
  WriteAssignments(generation, offset);
  for (int i = 0; i < kAgents; ++i) Start(i);

  std::mutex mu;                               // guards newest and pushed
  std::map<std::string, ExpectedTask> newest;  // product → its newest task
  size_t pushed = 0;
  std::atomic<bool> stop_load{false}, stop_checks{false};
  std::atomic<int> kills{0}, pauses{0}, moves{0};
  LeaseChecker lease_checker;
  ResultChecker result_checker;
  std::vector<std::string> errors;

  std::thread producer([&] {
    auto c = Connect(port_);
    std::mt19937 rng(7);
    int64_t n = 0;
    while (!stop_load) {
      std::vector<sources::redis::Client::Args> cmds;
      std::vector<std::pair<std::string, ExpectedTask>> batch;
      for (int k = 0; k < 4; ++k, ++n) {
        std::string product =
            "m-" + std::to_string(std::uniform_int_distribution<int>(0, kProducts - 1)(rng));
        int64_t price = std::uniform_int_distribution<int64_t>(1, 1'000'000)(rng);
        uint32_t shard = sources::protocol::ShardOf(product, kShards);
        batch.emplace_back(product, ExpectedTask{shard, Reprice(price)});
        cmds.push_back({"XADD", prefix_ + ":" + std::to_string(shard), "*", "task",
                        "t-" + std::to_string(n), "product", product, "price",
                        std::to_string(price)});
      }
      auto r = c->Pipeline(cmds);
      if (r.ok()) {
        std::lock_guard lock(mu);
        for (size_t k = 0; k < batch.size(); ++k) {
          // The entry ID Redis gave the task is its version; in reply order a
          // product's later task has the greater one.
          auto version = results::ParseTaskVersion((*r)[k].str);
          if (!version) continue;
          batch[k].second.version = *version;
          newest[batch[k].first] = batch[k].second;
          ++pushed;
        }
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  std::thread driver([&] {
    std::mt19937 rng(11);
    while (!stop_load) {
      std::this_thread::sleep_for(3s);
      if (stop_load) break;
      offset = (offset + std::uniform_int_distribution<uint32_t>(1, 7)(rng)) % kShards;
      WriteAssignments(++generation, offset);
      ++moves;
    }
  });
  // Chaos: mostly kill -9 and restart; one event in three instead freezes an
  // agent (SIGSTOP) for longer than the TTL and thaws it, so that it wakes up
  // believing it still holds shards that have moved on: the case fencing is for.
  std::thread chaos([&] {
    std::mt19937 rng(13);
    while (!stop_load) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(1500, 3500)(rng)));
      if (stop_load) break;
      int i = std::uniform_int_distribution<int>(0, kAgents - 1)(rng);
      if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
        agents_[i]->Signal(SIGSTOP);
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(2500, 4000)(rng)));
        agents_[i]->Signal(SIGCONT);
        ++pauses;
        continue;
      }
      agents_[i]->Signal(SIGKILL);
      agents_[i]->Wait(5s);
      ++kills;
      std::this_thread::sleep_for(300ms);
      Start(i);
    }
  });
  std::thread lease_sampler([&] {
    auto store = sources::lease::RedisLeaseStore::Connect(
        sources::redis::Options{.port = static_cast<uint16_t>(port_)});
    while (!stop_checks) {
      auto snap = (*store)->Snapshot(fleet_);
      if (snap.ok()) lease_checker.Observe(*snap);
      std::this_thread::sleep_for(5ms);
    }
  });
  std::atomic<size_t> results_seen{0};
  std::thread result_sampler([&] {
    auto c = Connect(port_);
    while (!stop_checks) {
      auto s = ReadResults(*c, "agentfleet:results:{" + fleet_ + "}:");
      if (s.ok()) {
        results_seen = s->results.size();
        result_checker.Observe(std::move(*s));
      }
      std::this_thread::sleep_for(150ms);
    }
  });

  std::this_thread::sleep_for(run_for);
  stop_load = true;
  producer.join();
  driver.join();
  chaos.join();

  // Every agent alive again; then everything pushed must be processed.
  for (int i = 0; i < kAgents; ++i) {
    if (!agents_[i]->running()) Start(i);
  }
  auto source = sources::queue::MakeRedisShardedStreamsSource(
      {.server = sources::redis::Options{.port = static_cast<uint16_t>(port_)},
       .key_prefix = prefix_,
       .shards = static_cast<int>(kShards),
       .group = "pricing-agents"});
  ASSERT_TRUE(source.ok());
  const size_t total = pushed;
  bool drained = Eventually(
      [&] {
        auto depth = (*source)->ReadDepth();
        return depth.ok() && depth->total == 0 && results_seen.load() >= newest.size();
      },
      30s);
  std::this_thread::sleep_for(400ms);  // one more result sample after the last write
  stop_checks = true;
  lease_sampler.join();
  result_sampler.join();
  auto final_sample = ReadResults(*Connect(port_), "agentfleet:results:{" + fleet_ + "}:");
  ASSERT_TRUE(final_sample.ok());
  result_checker.Observe(std::move(*final_sample));
  result_checker.Verify(newest);

  for (int i = 0; i < kAgents; ++i) agents_[i]->Signal(SIGTERM);
  int clean_exits = 0;
  for (int i = 0; i < kAgents; ++i) clean_exits += agents_[i]->Wait(10s) == 0 ? 1 : 0;
  auto store = sources::lease::RedisLeaseStore::Connect(
      sources::redis::Options{.port = static_cast<uint16_t>(port_)});
  auto snap = (*store)->Snapshot(fleet_);
  ASSERT_TRUE(snap.ok());
  int still_held = 0;
  for (const auto& r : snap->records) still_held += r.ValidAt(snap->now_ms) ? 1 : 0;

  auto count_in_logs = [&](const std::string& needle) {
    int n = 0;
    for (int i = 0; i < kAgents; ++i) {
      std::string log = agents_[i]->Log();  // every incarnation appends to one file
      for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1))
        ++n;
    }
    return n;
  };
  std::cout << "multi-agent run: " << RunSeconds() << " s, " << kAgents << " agents, " << kShards
            << " shards\n"
            << "  tasks pushed " << total << " for " << newest.size() << " products, results "
            << result_checker.results() << ", re-writes observed " << result_checker.rewrites()
            << "\n"
            << "  assignment rewrites " << moves << ", kills " << kills << ", freezes " << pauses
            << ", hand-offs observed " << lease_checker.handoffs() << "\n"
            << "  lease snapshots " << lease_checker.snapshots() << ", max valid holders per shard "
            << lease_checker.max_valid_per_shard() << ", lease violations "
            << lease_checker.violations().size() << "\n"
            << "  result samples " << result_checker.samples() << ", stale writes accepted "
            << result_checker.stale_accepted() << ", older tasks over newer "
            << result_checker.version_regressions() << ", result violations "
            << result_checker.violations().size() << "\n"
            << "  agents' logs: fenced-off writes " << count_in_logs("result write fenced off")
            << ", leases lost on renew " << count_in_logs("renew refused")
            << ", leases expired locally " << count_in_logs("lease not renewed in time") << "\n"
            << "  clean SIGTERM exits " << clean_exits << "/" << kAgents
            << ", leases valid after exit " << still_held << "\n";

  EXPECT_TRUE(drained) << "not every task was processed in time";
  EXPECT_EQ(lease_checker.max_valid_per_shard(), 1);
  for (const auto& v : lease_checker.violations()) ADD_FAILURE() << v;
  for (const auto& v : result_checker.violations()) ADD_FAILURE() << v;
  EXPECT_EQ(result_checker.stale_accepted(), 0);
  EXPECT_EQ(result_checker.version_regressions(), 0);
  EXPECT_GT(total, 1000u);
  EXPECT_GT(total, 2 * newest.size()) << "too few tasks per product to reorder any";
  EXPECT_GT(kills.load(), 3);
  EXPECT_GT(lease_checker.handoffs(), 64);
  EXPECT_EQ(clean_exits, kAgents);
  EXPECT_EQ(still_held, 0);
}

}  // namespace
}  // namespace agentfleet::agent::testing
