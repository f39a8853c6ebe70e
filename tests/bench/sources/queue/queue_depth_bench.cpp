// What one depth read costs the operator, per queue backend, against the
// fixtures: the Redis sharded-streams source (every shard's XINFO GROUPS +
// XLEN in one pipelined round trip; each shard stream holds a few entries,
// some delivered, so the replies are the size a live fleet produces), a Redis
// list (LLEN), SQS on ElasticMQ (GetQueueAttributes, signed, a fresh HTTP
// connection per read as the source makes it) and RabbitMQ's management API
// (GET /api/queues/<vhost>/<queue>). Each queue holds 25 messages.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/rabbitmq_protocol.h"
#include "controller/sources/queue/rabbitmq_source.h"
#include "controller/sources/queue/redis_source.h"
#include "controller/sources/queue/sigv4.h"
#include "controller/sources/queue/sqs_protocol.h"
#include "controller/sources/queue/sqs_source.h"
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

constexpr int64_t kMessages = 25;

std::string FixtureFile(const char* env, const char* file) {
  const char* dir = std::getenv(env);
  if (dir == nullptr) return "";
  std::ifstream in(std::string(dir) + "/" + file);
  std::string v;
  std::getline(in, v);
  return v;
}

// Reads until the state ends; fails the benchmark on a wrong depth.
void ReadLoop(benchmark::State& state, QueueSource& source, int64_t want) {
  for (auto _ : state) {
    auto d = source.ReadDepth();
    if (!d.ok() || d->total != want) {
      state.SkipWithError(d.ok() ? "wrong depth" : d.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(d);
  }
}

void BM_RedisListDepth(benchmark::State& state) {
  const sources::redis::Options server = Server();
  auto admin = sources::redis::Client::Connect(server);
  if (!admin.ok()) {
    state.SkipWithError(admin.error().ToString().c_str());
    return;
  }
  sources::redis::Client::Args push{"RPUSH", "bench-depth-list"};
  for (int i = 0; i < kMessages; ++i) push.push_back("task");
  (void)(*admin)->Command({"DEL", "bench-depth-list"});
  (void)(*admin)->Command(push);
  auto source = MakeRedisListSource({server, "bench-depth-list"});
  if (!source.ok()) {
    state.SkipWithError(source.error().ToString().c_str());
    return;
  }
  ReadLoop(state, **source, kMessages);
}
BENCHMARK(BM_RedisListDepth)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_SqsDepth(benchmark::State& state) {
  const std::string endpoint = FixtureFile("AGENTFLEET_ELASTICMQ_DIR", "url");
  auto url = ParseUrl(endpoint);
  if (endpoint.empty() || !url.ok()) {
    state.SkipWithError("no ElasticMQ fixture (AGENTFLEET_ELASTICMQ_DIR)");
    return;
  }
  const AwsCredentials creds{"AKIDAGENTFLEETBENCH", "bench-secret", ""};
  auto call = [&](const char* action, const std::string& body) -> Result<HttpResponse> {
    return HttpFetch(sqs::SignedCall(*url, action, body, creds, "us-east-1",
                                     AmzDate(std::chrono::system_clock::now())),
                     {}, std::chrono::seconds(5));
  };
  auto created = call("CreateQueue", R"({"QueueName":"bench-depth"})");
  if (!created.ok() || created->status != 200) {
    state.SkipWithError("CreateQueue failed");
    return;
  }
  const std::string queue_url = nlohmann::json::parse(created->body)["QueueUrl"].get<std::string>();
  (void)call("PurgeQueue", nlohmann::json{{"QueueUrl", queue_url}}.dump());
  for (int i = 0; i < kMessages; ++i) {
    (void)call("SendMessage", nlohmann::json{{"QueueUrl", queue_url}, {"MessageBody", "t"}}.dump());
  }
  SqsConfig c;
  c.queue_url = queue_url;
  c.region = "us-east-1";
  c.endpoint = endpoint;
  c.credentials = creds;
  auto source = MakeSqsSource(c);
  if (!source.ok()) {
    state.SkipWithError(source.error().ToString().c_str());
    return;
  }
  ReadLoop(state, **source, kMessages);
}
BENCHMARK(BM_SqsDepth)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_RabbitMqDepth(benchmark::State& state) {
  const std::string base = FixtureFile("AGENTFLEET_RABBITMQ_DIR", "url");
  const std::string user = FixtureFile("AGENTFLEET_RABBITMQ_DIR", "user");
  const std::string password = FixtureFile("AGENTFLEET_RABBITMQ_DIR", "password");
  if (base.empty()) {
    state.SkipWithError("no RabbitMQ fixture (AGENTFLEET_RABBITMQ_DIR)");
    return;
  }
  auto admin = [&](const std::string& method, const std::string& path, const std::string& body) {
    HttpRequest req;
    req.method = method;
    req.url = *ParseUrl(base + path);
    req.headers = {{"Authorization", rabbitmq::BasicAuthorization(user, password)},
                   {"Content-Type", "application/json"}};
    req.body = body;
    return HttpFetch(req, {}, std::chrono::seconds(10));
  };
  (void)admin("DELETE", "/api/queues/%2F/bench-depth", "");
  (void)admin("PUT", "/api/queues/%2F/bench-depth", R"({"durable":false})");
  for (int i = 0; i < kMessages; ++i) {
    (void)admin("POST", "/api/exchanges/%2F/amq.default/publish",
                R"({"properties":{},"routing_key":"bench-depth","payload":"t",)"
                R"("payload_encoding":"string"})");
  }
  RabbitMqConfig c;
  c.endpoint = base;
  c.queue = "bench-depth";
  c.credentials = {user, password};
  auto source = MakeRabbitMqSource(c);
  if (!source.ok()) {
    state.SkipWithError(source.error().ToString().c_str());
    return;
  }
  // The management API refreshes its counters every few seconds: wait for
  // the published messages to show.
  for (int i = 0; i < 100; ++i) {
    auto d = (*source)->ReadDepth();
    if (d.ok() && d->total == kMessages) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ReadLoop(state, **source, kMessages);
}
BENCHMARK(BM_RabbitMqDepth)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace agentfleet::sources::queue

BENCHMARK_MAIN();
