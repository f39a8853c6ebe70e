// Depth-read latency of the Redis sharded-streams source: every shard's
// XINFO GROUPS + XLEN in one pipelined round trip, against the `redis`
// fixture. Each shard stream holds a few entries, some delivered, so the
// replies are the size a live fleet produces.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "controller/sources/queue/redis_source.h"
#include "controller/sources/redis/client.h"

namespace agentfleet::sources::queue {
namespace {

sources::redis::Options Server() {
  const char* dir = std::getenv("AGENTFLEET_REDIS_DIR");
  if (dir == nullptr) throw std::runtime_error("AGENTFLEET_REDIS_DIR is not set (run via ctest)");
  std::ifstream in(std::string(dir) + "/port");
  int port = 0;
  in >> port;
  sources::redis::Options o;
  o.host = "127.0.0.1";
  o.port = static_cast<uint16_t>(port);
  o.command_timeout = std::chrono::seconds(5);
  return o;
}

// Shard s holds s % 5 entries; when it has any, one is delivered (pending).
// Returns the expected total depth.
int64_t Populate(sources::redis::Client& c, const std::string& prefix, int shards) {
  std::vector<sources::redis::Client::Args> batch;
  int64_t total = 0;
  for (int s = 0; s < shards; ++s) {
    const std::string key = prefix + ":" + std::to_string(s);
    batch.push_back({"DEL", key});
    for (int i = 0; i < s % 5; ++i) batch.push_back({"XADD", key, "*", "product", "p"});
    batch.push_back({"XGROUP", "CREATE", key, "agents", "0", "MKSTREAM"});
    if (s % 5 > 0) {
      batch.push_back({"XREADGROUP", "GROUP", "agents", "a", "COUNT", "1", "STREAMS", key, ">"});
    }
    total += s % 5;
  }
  auto r = c.Pipeline(batch);
  if (!r.ok()) throw std::runtime_error(r.error().ToString());
  return total;
}

void BM_ShardedStreamsDepth(benchmark::State& state) {
  const int shards = static_cast<int>(state.range(0));
  const sources::redis::Options server = Server();
  auto admin = sources::redis::Client::Connect(server);
  if (!admin.ok()) {
    state.SkipWithError(admin.error().ToString().c_str());
    return;
  }
  const std::string prefix = "bench-depth-" + std::to_string(shards);
  const int64_t want = Populate(**admin, prefix, shards);
  auto source = MakeRedisShardedStreamsSource({server, prefix, shards, "agents"});
  if (!source.ok()) {
    state.SkipWithError(source.error().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    auto d = (*source)->ReadDepth();
    if (!d.ok() || d->total != want || d->shards.size() != static_cast<size_t>(shards)) {
      state.SkipWithError(d.ok() ? "wrong depth" : d.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(d);
  }
  state.counters["shards"] = shards;
}
BENCHMARK(BM_ShardedStreamsDepth)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace agentfleet::sources::queue

BENCHMARK_MAIN();
