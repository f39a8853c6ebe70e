// pricing-agent with its lease table and result store in PostgreSQL (CTest
// fixture `postgres`, password from the environment) and its tasks in Redis.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <set>

#include "controller/sources/lease/store_config.h"
#include "controller/sources/protocol/shard.h"
#include "controller/sources/redis/client.h"
#include "examples/agent/results/open_result_store.h"
#include "examples/agent/task.h"
#include "tests/integration/agent/agent_process.h"

namespace agentfleet::agent::testing {
namespace {

using namespace std::chrono_literals;

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

TEST(PostgresStores, HoldsProcessesFencedAndReleases) {
  const char* pg_dir = std::getenv("AGENTFLEET_POSTGRES_DIR");
  ASSERT_NE(pg_dir, nullptr);
  const std::string conninfo = ReadLine(std::string(pg_dir) + "/conninfo");
  const std::string password = ReadLine(std::string(pg_dir) + "/password");
  ASSERT_FALSE(password.empty());
  auto config = sources::lease::ParseStoreUrl(conninfo, password);
  ASSERT_TRUE(config.ok());
  auto leases = sources::lease::OpenLeaseStore(*config);
  auto results = agent::results::OpenResultStore(*config);
  ASSERT_TRUE(leases.ok() && results.ok());

  const int port = RedisPort();
  const std::string redis_url = "redis://127.0.0.1:" + std::to_string(port);
  const std::string fleet = "pg-" + std::to_string(getpid());
  const std::string prefix = "tasks:" + fleet;
  char tmpl[] = "/tmp/agentfleet-pg-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  WriteFileAtomically(dir + "/annotations", AnnotationsFile(1, "0-3"));
  AgentProcess agent(
      {"--pod-name=pg-agent", "--fleet=" + fleet, "--shards=8", "--lease-store=" + conninfo,
       "--queue-url=" + redis_url, "--queue-prefix=" + prefix,
       "--assignment-file=" + dir + "/annotations", "--lease-duration=3s", "--tick=200ms",
       "--block=100ms", "--metrics-bind-address=0", "--log-level=debug"},
      dir + "/agent.log", {{"AGENTFLEET_LEASE_STORE_PASSWORD", password}});

  auto valid = [&] {
    std::set<uint32_t> out;
    auto snap = (*leases)->Snapshot(fleet);
    if (!snap.ok()) return out;
    for (const auto& r : snap->records) {
      if (r.ValidAt(snap->now_ms) && r.holder.rfind("pg-agent/", 0) == 0) out.insert(r.shard);
    }
    return out;
  };
  ASSERT_TRUE(Eventually(
      [&] {
        return valid() == std::set<uint32_t>{0, 1, 2, 3};
      },
      15s))
      << agent.Log();

  auto redis =
      sources::redis::Client::Connect(sources::redis::Options{.port = static_cast<uint16_t>(port)});
  ASSERT_TRUE(redis.ok());
  // Three tasks per product: the store keeps the newest one's price and
  // entry ID (its task version).
  std::map<std::string, uint32_t> tasks;
  std::map<std::string, std::string> newest_id;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 60; ++i) {
      std::string id = "pg-" + std::to_string(i);
      uint32_t shard = sources::protocol::ShardOf(id, 8);
      if (shard >= 4) continue;
      tasks[id] = shard;
      auto added = (*redis)->Command({"XADD", prefix + ":" + std::to_string(shard), "*", "task",
                                      id + "/" + std::to_string(round), "product", id, "price",
                                      std::to_string(250 + round)});
      ASSERT_TRUE(added.ok());
      newest_id[id] = added->str;
    }
  }
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& [id, shard] : tasks) {
          auto r = (*results)->Get(fleet, id);
          if (!r.ok() || !r->has_value() ||
              agent::results::FormatTaskVersion((**r).version) != newest_id[id]) {
            return false;
          }
        }
        return true;
      },
      15s))
      << agent.Log();
  for (const auto& [id, shard] : tasks) {
    auto r = (*results)->Get(fleet, id);
    EXPECT_EQ((**r).price, Reprice(252));
    EXPECT_EQ((**r).shard, shard);
  }

  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(10s), 0) << agent.Log();
  EXPECT_TRUE(valid().empty());
  // The store's password reached the agent only through its environment and
  // appears nowhere in its (debug-level) log.
  EXPECT_EQ(agent.Log().find(password), std::string::npos);
  (void)(*leases)->DeleteFleet(fleet);
  (void)(*results)->DeleteFleet(fleet);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace agentfleet::agent::testing
