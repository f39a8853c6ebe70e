#pragma once

// The configuration of pricing-agent: flags, each with an environment variable
// that supplies it when the flag is absent (flags win). Pure: parsing takes the
// arguments and the environment as values, so it is unit-tested.

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "controller/base/flags.h"

namespace agentfleet::agent {

struct AgentOptions {
  std::string pod_name;                    // --pod-name / POD_NAME (required)
  std::string namespace_name = "default";  // --namespace / POD_NAMESPACE
  std::string fleet;                       // --fleet (required)
  uint32_t shards = 0;                     // --shards: S, the fleet's shard count (required)

  std::string lease_store_url;  // --lease-store: redis://... or postgresql://... (required)
  // --lease-store-sslmode: PostgreSQL's sslmode for the lease store (and the
  // result store when it is the same URL); empty: the URL's own, else verify-full.
  std::string lease_store_sslmode;
  std::chrono::milliseconds lease_duration{15'000};  // renewed every third of it
  std::string lease_key_prefix = "agentfleet:";      // Redis keys of the lease and result stores
  std::string result_store_url;                      // --result-store; empty: the lease store's URL

  // --queue-backend: where the tasks are. redis-streams (one stream per
  // shard, task_worker.h) or a queue all agents share (shared_queue_worker.h):
  // redis-list, sqs, rabbitmq.
  std::string queue_backend = "redis-streams";
  // --queue-url (required): redis-streams/redis-list: the Redis; sqs: the
  // queue URL, or the service endpoint with --queue-name; rabbitmq: amqp(s)://
  // user@host:port/vhost.
  std::string queue_url;
  std::string queue_name;         // --queue-name: the list key, SQS queue or RabbitMQ queue
  std::string dead_letter_queue;  // --dead-letter-queue; empty: the backend's default
  std::chrono::milliseconds visibility_timeout{30'000};  // SQS: in work this long per extension
  int prefetch = 0;                                      // RabbitMQ basic.qos; 0: --batch-size
  std::string sqs_region;                                // --sqs-region / AWS_REGION
  std::string queue_prefix = "pricing:tasks";            // streams "<prefix>:<shard>"
  std::string queue_group = "pricing-agents";            // the consumer group
  int batch_size = 64;                                   // XREADGROUP COUNT
  std::chrono::milliseconds block{200};                  // XREADGROUP BLOCK
  std::chrono::milliseconds claim_min_idle{5'000};       // XAUTOCLAIM min idle time
  std::chrono::milliseconds task_time{0};                // simulated pricing work per task

  std::string assignment_file;       // --assignment-file (downward-API annotations file)
  bool assignment_from_api = false;  // --assignment-from-api (watch the own Pod)
  // --assignment-from-store: also read the assignment the operator publishes
  // in the lease store, every --tick (the fast path).
  bool assignment_from_store = true;
  std::string kubeconfig;                          // empty: $KUBECONFIG, then in-cluster
  std::chrono::milliseconds poll_interval{1'000};  // assignment file re-read period
  std::chrono::milliseconds tick{1'000};           // acquire retry period

  // From the environment only (AGENTFLEET_LEASE_STORE_PASSWORD,
  // AGENTFLEET_RESULT_STORE_PASSWORD, AGENTFLEET_QUEUE_PASSWORD); each wins over
  // a password in its URL.
  std::string lease_store_password;
  std::string result_store_password;
  std::string queue_password;
  // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: the sqs backend.
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;

  std::string metrics_bind_address = ":8080";  // /metrics and /healthz; "0" turns it off
  std::string log_level = "info";
};

using AgentParseResult = ParsedFlags<AgentOptions>;

// Parses argv (without the program name) over the environment `env`, in the
// grammar of controller/base/flags.h. Checks that the required settings are
// present, that exactly one assignment source is chosen and that the queue
// backend has what it needs. Secrets (store
// passwords) come only from the environment and are not flags, so that they
// never show in a process listing.
AgentParseResult ParseAgentOptions(std::span<const std::string_view> args,
                                   const std::map<std::string, std::string>& env);

// The --help text: every flag, its environment variable, default and meaning.
std::string AgentUsage(std::string_view program);

}  // namespace agentfleet::agent
