#pragma once

// PricingAgentFleet as the operator reads it: plain structs mirroring the CRD
// (crds/agentfleet.io_pricingagentfleets.yaml), with every default applied.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "controller/base/clock.h"
#include "controller/kube/meta/object_meta.h"

namespace agentfleet::fleet::api {

using Seconds = std::chrono::seconds;

// A key of a Secret in the fleet's namespace.
struct SecretKeyRef {
  std::string name;
  std::string key;
  bool operator==(const SecretKeyRef&) const = default;
};

struct TlsSpec {
  std::optional<SecretKeyRef> ca_secret_ref;  // absent: the system trust store
  std::string server_name;                    // empty: the URL's host
  bool operator==(const TlsSpec&) const = default;
};

// --- queue backends (exactly one) ---

// One stream per shard, "<key_prefix>:<shard>", read by a consumer group.
struct RedisStreamsQueue {
  std::string url;  // redis:// or rediss://, without a password
  std::string key_prefix;
  std::string consumer_group;
  std::optional<SecretKeyRef> password_secret_ref;
  TlsSpec tls;
  bool operator==(const RedisStreamsQueue&) const = default;
};

struct RedisListQueue {
  std::string url;
  std::string key;
  std::optional<SecretKeyRef> password_secret_ref;
  TlsSpec tls;
  bool operator==(const RedisListQueue&) const = default;
};

struct AwsCredentialsRef {
  std::string name;  // the Secret
  std::string access_key_id_key = "accessKeyID";
  std::string secret_access_key_key = "secretAccessKey";
  std::string session_token_key;  // empty: no session token
  bool operator==(const AwsCredentialsRef&) const = default;
};

struct SqsQueue {
  std::string queue_url;  // exactly one of queue_url, queue_name
  std::string queue_name;
  std::string region;
  std::string endpoint;
  std::optional<AwsCredentialsRef> credentials_secret_ref;  // absent: the operator's own
  bool scale_on_in_flight = true;
  bool scale_on_delayed = false;
  bool operator==(const SqsQueue&) const = default;
};

struct BasicCredentialsRef {
  std::string name;  // the Secret
  std::string username_key = "username";
  std::string password_key = "password";
  bool operator==(const BasicCredentialsRef&) const = default;
};

struct RabbitMqQueue {
  std::string management_url;
  std::string vhost = "/";
  std::string queue;
  std::optional<BasicCredentialsRef> credentials_secret_ref;
  bool include_unacked = false;
  bool operator==(const RabbitMqQueue&) const = default;
};

using QueueSpec = std::variant<RedisStreamsQueue, RedisListQueue, SqsQueue, RabbitMqQueue>;

// The CRD's field name of the backend: "redisStreams", "redisList", "sqs", "rabbitmq".
std::string_view QueueKindName(const QueueSpec& queue);

// --- lease stores (exactly one) ---

struct RedisLeaseStore {
  std::string url;
  std::string key_prefix = "agentfleet:";
  std::optional<SecretKeyRef> password_secret_ref;
  TlsSpec tls;
  bool operator==(const RedisLeaseStore&) const = default;
};

struct PostgresLeaseStore {
  std::string url;  // postgres:// or postgresql://, without a password
  std::optional<SecretKeyRef> password_secret_ref;
  // sslMode: disable, require, verify-ca or verify-full; empty: the URL's own
  // sslmode, else verify-full (sources::lease::ResolvePgSslMode).
  std::string ssl_mode;
  bool operator==(const PostgresLeaseStore&) const = default;
};

using LeaseStoreSpec = std::variant<RedisLeaseStore, PostgresLeaseStore>;

struct LeaseSpec {
  LeaseStoreSpec store;
  Seconds lease_duration{15};
  bool operator==(const LeaseSpec&) const = default;
};

// --- autoscaling, with HorizontalPodAutoscaler v2 semantics ---

enum class PolicyType { kPods, kPercent };
enum class SelectPolicy { kMax, kMin, kDisabled };

struct ScalingPolicy {
  PolicyType type = PolicyType::kPods;
  int32_t value = 1;
  Seconds period{15};
  bool operator==(const ScalingPolicy&) const = default;
};

// One direction's rules; the parser fills every field the user left out with
// HPA v2's default for that direction, field by field, as HPA does.
struct ScalingRules {
  Seconds stabilization_window{0};
  SelectPolicy select_policy = SelectPolicy::kMax;
  std::vector<ScalingPolicy> policies;
  bool operator==(const ScalingRules&) const = default;
};

// HPA v2 defaults: up at once by max(100 %, 4 pods) per 15 s; down over a
// 300 s window by up to 100 % per 15 s.
ScalingRules DefaultScaleUpRules();
ScalingRules DefaultScaleDownRules();

struct Behavior {
  ScalingRules scale_up = DefaultScaleUpRules();
  ScalingRules scale_down = DefaultScaleDownRules();
  bool operator==(const Behavior&) const = default;
};

struct Fallback {
  int32_t failure_threshold = 3;
  int32_t replicas = 0;
  bool operator==(const Fallback&) const = default;
};

// spec.autoscaling.metrics[]: autoscaling/v2's Resource metric, cpu or memory
// of the fleet's pods, against a utilization of their requests or an average.
enum class ResourceMetricName { kCpu, kMemory };

struct ResourceMetricSpec {
  ResourceMetricName name = ResourceMetricName::kCpu;
  std::optional<int32_t> average_utilization;  // target type Utilization: % of requests
  std::optional<int64_t> average_value;        // target type AverageValue: millicores or bytes
  bool operator==(const ResourceMetricSpec&) const = default;
};

struct AutoscalingSpec {
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  int64_t target_queue_depth_per_agent = 100;
  int64_t activation_queue_depth = 0;
  Seconds poll_interval{5};
  Behavior behavior;
  std::optional<Fallback> fallback;
  std::vector<ResourceMetricSpec> metrics;  // besides the queue
  bool operator==(const AutoscalingSpec&) const = default;
};

struct RetirementSpec {
  Seconds drain_timeout{300};
  bool operator==(const RetirementSpec&) const = default;
};

// spec.updateStrategy: how pods of an older template are replaced.
enum class UpdateStrategyType { kRollingUpdate, kOnDelete };

// An absolute count or a percent of the desired replicas (intstr.IntOrString).
struct IntOrPercent {
  int32_t value = 0;
  bool percent = false;
  bool operator==(const IntOrPercent&) const = default;
};

struct UpdateStrategy {
  UpdateStrategyType type = UpdateStrategyType::kRollingUpdate;
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{0, false};
  bool operator==(const UpdateStrategy&) const = default;
};

struct FleetSpec {
  int32_t shards = 256;
  // Manual mode when autoscaling is absent: replicas pods (1 when unset).
  std::optional<int32_t> replicas;
  std::optional<AutoscalingSpec> autoscaling;
  QueueSpec queue;
  LeaseSpec leases;
  // spec.template as given (a core/v1 PodTemplateSpec): the operator builds
  // pods from it, so it is kept whole. Checked: spec.containers is a non-empty
  // list of objects with a name and an image.
  nlohmann::json pod_template;
  RetirementSpec retirement;
  UpdateStrategy update_strategy;
  Seconds progress_deadline{600};  // spec.progressDeadlineSeconds

  bool Manual() const { return !autoscaling.has_value(); }
  int32_t ManualReplicas() const { return replicas.value_or(1); }
  bool operator==(const FleetSpec&) const = default;
};

// --- status ---

enum class ConditionStatus { kTrue, kFalse, kUnknown };
std::string_view ConditionStatusName(ConditionStatus s);  // "True", "False", "Unknown"

// metav1.Condition. Times have second precision, as the API server keeps them.
struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  int64_t observed_generation = 0;
  Clock::Wall last_transition_time{};
  std::string reason;  // CamelCase, non-empty
  std::string message;
  bool operator==(const Condition&) const = default;
};

struct ShardCounts {
  int32_t total = 0;
  int32_t assigned = 0;
  int32_t held = 0;
  int32_t moving = 0;
  int32_t unowned = 0;
  bool operator==(const ShardCounts&) const = default;
};

// One entry of status.currentMetrics: a resource metric's last figures.
struct ResourceMetricStatus {
  ResourceMetricName name = ResourceMetricName::kCpu;
  std::optional<int32_t> average_utilization;  // with a Utilization target
  int64_t average_value = 0;                   // millicores or bytes per pod
  bool operator==(const ResourceMetricStatus&) const = default;
};

struct FleetStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0;
  int32_t ready_replicas = 0;
  int32_t desired_replicas = 0;
  std::optional<int64_t> queue_depth;                 // absent until the first successful read
  std::vector<ResourceMetricStatus> current_metrics;  // those read on the last pass
  // The metric whose recommendation the count follows ("queue", "cpu",
  // "memory"); empty while none does (manual, paused, fallback, a failed read).
  std::string scaling_metric;
  std::optional<Clock::Wall> last_scale_time;
  // Pods (not retiring) made from the current template, its revision, and the
  // revision the rest of the pods run (the update revision once all do).
  int32_t updated_replicas = 0;
  std::string update_revision;
  std::string current_revision;
  // The highest agentfleet.io/assignment-generation written or seen on the
  // fleet's pods: the next assignment is written above it.
  int64_t assignment_generation = 0;
  ShardCounts shards;
  std::string selector;
  std::vector<Condition> conditions;  // at most one per type
  bool operator==(const FleetStatus&) const = default;
};

// A fleet as the API server returns it.
struct Fleet {
  kube::meta::ObjectMeta meta;  // annotations: those under "agentfleet.io/" only
  FleetSpec spec;
  FleetStatus status;

  bool Paused() const;        // annotation agentfleet.io/paused is "true"
  bool HasFinalizer() const;  // agentfleet.io/lease-cleanup
};

}  // namespace agentfleet::fleet::api
