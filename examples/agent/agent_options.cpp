#include "examples/agent/agent_options.h"

#include "controller/obs/flag_checks.h"
#include "controller/sources/protocol/shard.h"

namespace agentfleet::agent {
namespace {

using std::chrono::milliseconds;

Status CheckPgSslMode(std::string_view v) {
  if (v.empty() || v == "disable" || v == "require" || v == "verify-ca" || v == "verify-full") {
    return Ok{};
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "must be disable, require, verify-ca or verify-full (allow and prefer neither "
                   "verify the server nor refuse plain text)");
}

void StoreFlags(AgentOptions& o, FlagSet& set) {
  set.String({.name = "pod-name",
              .help = "This agent's Pod name (downward API metadata.name). Required. The lease "
                      "holder id is <pod-name>/<random suffix>, new for every process start.",
              .env = "POD_NAME",
              .required = true},
             &o.pod_name, NonEmpty);
  set.String({.name = "namespace", .help = "This agent's Pod namespace.", .env = "POD_NAMESPACE"},
             &o.namespace_name, NonEmpty);
  set.String({.name = "fleet",
              .help = "The fleet's name in the lease table and the result store. Required.",
              .env = "AGENTFLEET_FLEET",
              .required = true},
             &o.fleet, NonEmpty);
  set.Int({.name = "shards",
           .help = "S, the fleet's shard count (1 to 65536, as spec.shards). Required.",
           .env = "AGENTFLEET_SHARDS",
           .required = true},
          &o.shards, 1, sources::protocol::kMaxShards);
  set.String({.name = "lease-store",
              .help = "Lease table URL: redis://, rediss:// or postgresql:// (password: "
                      "$AGENTFLEET_LEASE_STORE_PASSWORD). Required.",
              .env = "AGENTFLEET_LEASE_STORE",
              .required = true,
              .secret = true},
             &o.lease_store_url, NonEmpty);
  set.String({.name = "lease-store-sslmode",
              .help = "PostgreSQL lease store only: disable, require, verify-ca or verify-full "
                      "(the fleet's spec.leases.postgres.sslMode). Empty: the URL's own sslmode, "
                      "else verify-full. Also the result store's, when that is the same URL.",
              .env = "AGENTFLEET_LEASE_STORE_SSLMODE"},
             &o.lease_store_sslmode, CheckPgSslMode);
  set.Duration({.name = "lease-duration",
                .help = "Lease TTL (e.g. 15s, 500ms); leases are renewed every third of it.",
                .env = "AGENTFLEET_LEASE_DURATION"},
               &o.lease_duration, milliseconds(300));
  set.String({.name = "lease-key-prefix",
              .help = "Prefix of the Redis keys of the lease table and the result store: the "
                      "fleet's spec.leases.redis.keyPrefix, which the operator reads too.",
              .env = "AGENTFLEET_LEASE_KEY_PREFIX"},
             &o.lease_key_prefix, NonEmpty);
  set.String({.name = "result-store",
              .help = "Fenced result store URL (password: $AGENTFLEET_RESULT_STORE_PASSWORD). "
                      "Empty: the lease store's URL.",
              .env = "AGENTFLEET_RESULT_STORE",
              .secret = true},
             &o.result_store_url);
}

Status CheckBackend(std::string_view v) {
  if (v == "redis-streams" || v == "redis-list" || v == "sqs" || v == "rabbitmq") return Ok{};
  return MakeError(ErrorCode::kInvalidArgument,
                   "must be redis-streams, redis-list, sqs or rabbitmq");
}

void QueueFlags(AgentOptions& o, FlagSet& set) {
  set.String(
      {.name = "queue-backend",
       .help = "Where the tasks are: redis-streams (a stream per shard), or a queue all "
               "agents share: redis-list, sqs or rabbitmq (docs/protocol.md, Shared queues).",
       .env = "AGENTFLEET_QUEUE_BACKEND"},
      &o.queue_backend, CheckBackend);
  set.String({.name = "queue-url",
              .help = "The queue's server (password: $AGENTFLEET_QUEUE_PASSWORD). Redis: "
                      "redis:// or rediss://; sqs: the queue URL, or the endpoint with "
                      "--queue-name; rabbitmq: amqp:// or amqps://user@host:port/vhost. Required.",
              .env = "AGENTFLEET_QUEUE_URL",
              .required = true,
              .secret = true},
             &o.queue_url, NonEmpty);
  set.String({.name = "queue-name",
              .help = "redis-list: the list's key; sqs: the queue's name (resolved at the "
                      "endpoint); rabbitmq: the queue. Required for those backends.",
              .env = "AGENTFLEET_QUEUE_NAME"},
             &o.queue_name);
  set.String({.name = "dead-letter-queue",
              .help = "Where tasks that are no task go. Empty: <key>:dead (redis-list), "
                      "<name>-dead (sqs, must exist), <queue>.dead (rabbitmq, declared).",
              .env = "AGENTFLEET_DEAD_LETTER_QUEUE"},
             &o.dead_letter_queue);
  set.Duration({.name = "visibility-timeout",
                .help = "sqs: how long a received task stays hidden from other agents; "
                        "extended while it is in work.",
                .env = "AGENTFLEET_VISIBILITY_TIMEOUT"},
               &o.visibility_timeout, milliseconds(1'000));
  set.Int({.name = "prefetch",
           .help = "rabbitmq: unacknowledged tasks the broker sends ahead (basic.qos). 0: "
                   "--batch-size.",
           .env = "AGENTFLEET_PREFETCH"},
          &o.prefetch, 0, 65'535);
  set.String({.name = "sqs-region",
              .help = "sqs: the AWS region (signing; the endpoint when --queue-url has none).",
              .env = "AWS_REGION"},
             &o.sqs_region);
  set.String({.name = "queue-prefix",
              .help = "Task stream prefix: shard s reads the stream <prefix>:<s>.",
              .env = "AGENTFLEET_QUEUE_PREFIX"},
             &o.queue_prefix, NonEmpty);
  set.String({.name = "queue-group",
              .help = "Consumer group of the task streams.",
              .env = "AGENTFLEET_QUEUE_GROUP"},
             &o.queue_group, NonEmpty);
  set.Int({.name = "batch-size",
           .help = "Tasks read per shard and round trip (XREADGROUP COUNT).",
           .env = "AGENTFLEET_BATCH_SIZE"},
          &o.batch_size, 1, 10'000);
  set.Duration({.name = "block",
                .help = "How long one XREADGROUP waits for new tasks.",
                .env = "AGENTFLEET_BLOCK"},
               &o.block, milliseconds(1));
  set.Duration({.name = "claim-min-idle",
                .help = "Pending tasks of a held shard idle this long are claimed (XAUTOCLAIM): "
                        "the tasks of a killed or fenced-off agent.",
                .env = "AGENTFLEET_CLAIM_MIN_IDLE"},
               &o.claim_min_idle, milliseconds(0));
  set.Duration({.name = "task-time",
                .help = "Simulated pricing work per task (0: none), for demos and load tests: a "
                        "backlog then drains at about 1/task-time tasks per second and agent.",
                .env = "AGENTFLEET_TASK_TIME"},
               &o.task_time, milliseconds(0));
}

void AssignmentFlags(AgentOptions& o, FlagSet& set) {
  set.String({.name = "assignment-file",
              .help = "The downward-API annotations file (metadata.annotations), re-read every "
                      "--poll-interval. Exactly one of this and --assignment-from-api.",
              .env = "AGENTFLEET_ASSIGNMENT_FILE"},
             &o.assignment_file);
  set.Bool({.name = "assignment-from-api",
            .help = "Watch this agent's own Pod through the API (kubeconfig from --kubeconfig, "
                    "then $KUBECONFIG, then in-cluster) for the assignment annotations."},
           &o.assignment_from_api);
  set.Bool({.name = "assignment-from-store",
            .help = "Also read the assignment the operator publishes in the lease store, every "
                    "--tick, and apply whichever source has the higher generation (a hand-off "
                    "then waits on no kubelet refresh). false: the file or the API only.",
            .env = "AGENTFLEET_ASSIGNMENT_FROM_STORE"},
           &o.assignment_from_store);
  set.String({.name = "kubeconfig", .help = "Path to a kubeconfig for --assignment-from-api."},
             &o.kubeconfig);
  set.Duration({.name = "poll-interval",
                .help = "How often the assignment file is re-read.",
                .env = "AGENTFLEET_POLL_INTERVAL"},
               &o.poll_interval, milliseconds(10));
  set.Duration({.name = "tick",
                .help = "How often shards held by another agent are tried again (the hand-off).",
                .env = "AGENTFLEET_TICK"},
               &o.tick, milliseconds(10));
  set.String({.name = "metrics-bind-address",
              .help = "Address serving /metrics and /healthz; 0 turns it off.",
              .env = "AGENTFLEET_METRICS_BIND_ADDRESS"},
             &o.metrics_bind_address, obs::CheckBindAddress);
  set.String({.name = "log-level",
              .help = "Least severe level logged: debug, info, warn or error.",
              .env = "AGENTFLEET_LOG_LEVEL"},
             &o.log_level, obs::CheckLevelName);
}

FlagSet Flags(AgentOptions& o) {
  FlagSet set({.summary =
                   "The reference pricing agent of agentfleet: reads its shard assignment, holds "
                   "the\nleases of its shards, reprices the tasks of their streams and writes the "
                   "results\nfenced by lease token. Each flag may also come from the environment "
                   "variable shown;\nthe flag wins.",
               .footer = "Environment only: AGENTFLEET_LEASE_STORE_PASSWORD, "
                         "AGENTFLEET_RESULT_STORE_PASSWORD,\nAGENTFLEET_QUEUE_PASSWORD (each wins "
                         "over a password in its URL), KUBECONFIG,\nAWS_ACCESS_KEY_ID, "
                         "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (sqs).\nExit codes: 0 after "
                         "SIGTERM/SIGINT and a clean release; 1 on a start-up failure;\n2 on bad "
                         "flags.\n",
               .version = true});
  StoreFlags(o, set);
  QueueFlags(o, set);
  AssignmentFlags(o, set);
  return set;
}

std::string FromEnvironment(const std::map<std::string, std::string>& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

}  // namespace

AgentParseResult ParseAgentOptions(std::span<const std::string_view> args,
                                   const std::map<std::string, std::string>& env) {
  AgentParseResult parsed = ParseFlags(Flags, args, env);
  if (parsed.kind != FlagParseKind::kRun) return parsed;
  AgentOptions& o = parsed.options;
  if (o.assignment_file.empty() == !o.assignment_from_api) {
    return {{FlagParseKind::kError,
             "exactly one of --assignment-file and --assignment-from-api is required"}};
  }
  o.lease_store_password = FromEnvironment(env, "AGENTFLEET_LEASE_STORE_PASSWORD");
  o.result_store_password = FromEnvironment(env, "AGENTFLEET_RESULT_STORE_PASSWORD");
  o.queue_password = FromEnvironment(env, "AGENTFLEET_QUEUE_PASSWORD");
  o.aws_access_key_id = FromEnvironment(env, "AWS_ACCESS_KEY_ID");
  o.aws_secret_access_key = FromEnvironment(env, "AWS_SECRET_ACCESS_KEY");
  o.aws_session_token = FromEnvironment(env, "AWS_SESSION_TOKEN");
  if (o.queue_backend != "redis-streams" && o.queue_backend != "sqs" && o.queue_name.empty()) {
    return {{FlagParseKind::kError, "--queue-backend " + o.queue_backend + " needs --queue-name"}};
  }
  if (o.queue_backend == "sqs") {
    if (o.sqs_region.empty()) {
      return {{FlagParseKind::kError, "--queue-backend sqs needs --sqs-region (or $AWS_REGION)"}};
    }
    if (o.aws_access_key_id.empty() || o.aws_secret_access_key.empty()) {
      return {{FlagParseKind::kError,
               "--queue-backend sqs needs $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY"}};
    }
  }
  return parsed;
}

std::string AgentUsage(std::string_view program) {
  return FlagUsage(Flags, program);
}

}  // namespace agentfleet::agent
