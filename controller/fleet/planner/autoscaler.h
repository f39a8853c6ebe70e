#pragma once

// The replica count of a fleet: HPA v2's algorithm on queue depth, with KEDA's
// activation (0 <-> 1) and fallback, the pause annotation and manual mode.
//
// HPA keeps its stabilization history and scale events in memory between
// passes; here they are an explicit AutoscalerState that the caller stores and
// hands back on the next pass, so the function stays pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/fleet/planner/autoscaling_policy.h"
#include "controller/fleet/planner/resource_metrics.h"
#include "controller/fleet/planner/time.h"

namespace agentfleet::fleet::planner {

// Why the desired count is what it is; names are stable (they become condition
// and event reasons).
enum class ScaleReason {
  kSteady,           // recommendation equals the current count (or within tolerance)
  kScaledUp,         // moving up to the recommendation
  kScaledDown,       // moving down to the recommendation
  kLimitedByMax,     // capped at maxReplicas
  kLimitedByMin,     // raised to minReplicas
  kLimitedByShards,  // capped at the shard count (more pods would sit idle)
  kLimitedByPolicy,  // a scaleUp/scaleDown policy (or selectPolicy Disabled) limits the rate
  kStabilized,       // the stabilization window holds the count
  kBelowActivation,  // at zero and the depth does not exceed the activation depth
  kFallback,         // the depth source failed too often: fallback replicas
  kSourceError,      // the depth source failed: holding the current count
  kPaused,           // the pause annotation is set
  kManual,           // no autoscaling: spec.replicas
};
std::string_view ScaleReasonName(ScaleReason reason);
// Whether the reason means the fleet wanted more or fewer pods than it gets
// (the ScalingLimited condition).
bool IsLimit(ScaleReason reason);

struct TimedRecommendation {
  Time at;
  int32_t replicas = 0;
  bool operator==(const TimedRecommendation&) const = default;
};
struct TimedScaleEvent {
  Time at;
  int32_t change = 0;  // absolute number of pods added or removed
  bool operator==(const TimedScaleEvent&) const = default;
};

// What the autoscaler remembers between passes. Small: entries older than the
// longest window or policy period are dropped on every pass.
struct AutoscalerState {
  std::vector<TimedRecommendation> recommendations;  // unstabilized, as HPA records them
  std::vector<TimedScaleEvent> scale_up_events;
  std::vector<TimedScaleEvent> scale_down_events;
  int32_t consecutive_failures = 0;  // failed depth reads in a row
  std::optional<Time> last_scale_time;

  bool operator==(const AutoscalerState&) const = default;
};

// One resource metric's recommendation this pass, or why there is none.
struct ResourceReading {
  ResourceName name = ResourceName::kCpu;
  Result<ResourceRecommendation> value = ResourceRecommendation{};
};

struct AutoscaleInput {
  // Absent: manual mode, the count is `manual_replicas` (spec.replicas).
  std::optional<AutoscalingPolicy> policy;
  int32_t manual_replicas = 0;
  // The count the fleet is currently scaled to (status.desiredReplicas of the
  // last pass — the "spec.replicas" HPA reads from the scale subresource — or,
  // on a first pass, the number of non-retiring pods).
  int32_t current_replicas = 0;
  std::optional<int64_t> queue_depth;  // absent: the read failed
  // Whether this pass read (or tried to open) the queue. A pass within a
  // failing source's backoff did not, and does not count as a failed read.
  bool queue_read = true;
  // One per entry of policy->resources, in its order. As the HPA does with
  // several metrics, the largest recommendation wins, and while one of them
  // cannot be computed the count may rise but not fall. Not consulted at zero
  // replicas: with no pod there is nothing to measure, and the queue alone
  // activates (as KEDA's cpu and memory triggers do).
  std::vector<ResourceReading> resources;
  // agentfleet.io/paused, in either mode: the count stays `current_replicas`
  // and nothing is recorded. Only the count freezes: the planner still
  // replaces lost pods and rebalances shards.
  bool paused = false;
  uint32_t shards = 0;  // the count never exceeds this
  Time now;
};

struct ScaleDecision {
  int32_t current = 0;
  int32_t desired = 0;
  // The metric's recommendation before stabilization, policies and limits;
  // absent when no metric was used (manual, paused, source error).
  std::optional<int32_t> recommendation;
  ScaleReason reason = ScaleReason::kSteady;
  std::string message;  // one line for a condition or an event
  // The metric whose recommendation was taken: "queue", "cpu" or "memory";
  // empty when none was (manual, paused, a failed read holding the count, the
  // queue's fallback).
  std::string metric;
  // The resource metrics' readings this pass (AutoscaleInput::resources),
  // for the status and the conditions; empty at zero replicas.
  std::vector<ResourceReading> resources;
};

struct AutoscaleOutcome {
  ScaleDecision decision;
  AutoscalerState state;  // store it and pass it to the next call
};

AutoscaleOutcome Autoscale(const AutoscaleInput& input, AutoscalerState state);

}  // namespace agentfleet::fleet::planner
