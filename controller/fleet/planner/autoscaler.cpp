#include "controller/fleet/planner/autoscaler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace agentfleet::fleet::planner {
namespace {

using Rate = std::optional<ScaleReason>;

int32_t LongestPeriod(const ScalingRules& rules) {
  int32_t longest = 0;
  for (const auto& p : rules.policies) longest = std::max(longest, p.period_seconds);
  return longest;
}

// Events older than every policy period can no longer limit anything.
void PruneEvents(std::vector<TimedScaleEvent>& events, Time now, int32_t longest_period) {
  const Time cutoff = now - Seconds(longest_period);
  std::erase_if(events, [&](const TimedScaleEvent& e) { return e.at <= cutoff; });
}

int64_t ChangeInPeriod(const std::vector<TimedScaleEvent>& events, Time now, int32_t period) {
  const Time cutoff = now - Seconds(period);
  int64_t sum = 0;
  for (const auto& e : events) {
    if (e.at > cutoff) sum += e.change;
  }
  return sum;
}

// HPA's stabilizeRecommendationWithBehaviors: the count is raised no further
// than the lowest recommendation of the scale-up window and lowered no further
// than the highest of the scale-down window. The raw recommendation is recorded.
int32_t Stabilize(AutoscalerState& state, Time now, int32_t current, int32_t desired,
                  int32_t up_window, int32_t down_window) {
  const Time up_cutoff = now - Seconds(up_window);
  const Time down_cutoff = now - Seconds(down_window);
  int32_t up = desired;
  int32_t down = desired;
  for (const auto& rec : state.recommendations) {
    if (rec.at > up_cutoff) up = std::min(up, rec.replicas);
    if (rec.at > down_cutoff) down = std::max(down, rec.replicas);
  }
  int32_t result = current;
  if (result < up) result = up;
  if (result > down) result = down;
  std::erase_if(state.recommendations, [&](const TimedRecommendation& r) {
    return r.at <= up_cutoff && r.at <= down_cutoff;
  });
  state.recommendations.push_back({now, desired});
  return result;
}

// Integer arithmetic where HPA uses float64: HPA's ceil(10 * (1 + 10/100.0))
// is 12, one more than the policy means; this gives 11.
int64_t ScaleUpLimit(int64_t current, const AutoscalerState& state, const ScalingRules& rules,
                     Time now) {
  if (*rules.select_policy == SelectPolicy::kDisabled) return current;
  const bool pick_min = *rules.select_policy == SelectPolicy::kMin;
  int64_t result =
      pick_min ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  for (const auto& p : rules.policies) {
    const int64_t start = current - ChangeInPeriod(state.scale_up_events, now, p.period_seconds) +
                          ChangeInPeriod(state.scale_down_events, now, p.period_seconds);
    const int64_t proposed = p.type == ScalingPolicyType::kPods
                                 ? start + p.value
                                 : (start * (100 + int64_t{p.value}) + 99) / 100;
    result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

int64_t ScaleDownLimit(int64_t current, const AutoscalerState& state, const ScalingRules& rules,
                       Time now) {
  if (*rules.select_policy == SelectPolicy::kDisabled) return current;
  const bool pick_min = *rules.select_policy == SelectPolicy::kMin;
  int64_t result =
      pick_min ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  for (const auto& p : rules.policies) {
    const int64_t start = current - ChangeInPeriod(state.scale_up_events, now, p.period_seconds) +
                          ChangeInPeriod(state.scale_down_events, now, p.period_seconds);
    const int64_t proposed = p.type == ScalingPolicyType::kPods
                                 ? start - p.value
                                 : start * (100 - std::min<int64_t>(p.value, 100)) / 100;
    // Smallest change when scaling down is the highest count, and vice versa.
    result = pick_min ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

struct Limited {
  int32_t replicas;
  Rate reason;
};

// HPA's convertDesiredReplicasWithBehaviorRate.
Limited ApplyRate(int32_t desired, int32_t current, int32_t min_replicas, int32_t max_replicas,
                  ScaleReason max_reason, const AutoscalerState& state, const ScalingRules& up,
                  const ScalingRules& down, Time now) {
  if (desired > current) {
    const int64_t limit = std::max<int64_t>(ScaleUpLimit(current, state, up, now), current);
    int64_t allowed = max_replicas;
    ScaleReason reason = max_reason;
    if (allowed > limit) {
      allowed = limit;
      reason = ScaleReason::kLimitedByPolicy;
    }
    if (desired > allowed) return {static_cast<int32_t>(allowed), reason};
  } else if (desired < current) {
    const int64_t limit = std::min<int64_t>(ScaleDownLimit(current, state, down, now), current);
    int64_t allowed = min_replicas;
    ScaleReason reason = ScaleReason::kLimitedByMin;
    if (allowed < limit) {
      allowed = limit;
      reason = ScaleReason::kLimitedByPolicy;
    }
    if (desired < allowed) return {static_cast<int32_t>(allowed), reason};
  }
  return {desired, std::nullopt};
}

void RecordScale(AutoscalerState& state, Time now, int32_t from, int32_t to) {
  if (to > from) state.scale_up_events.push_back({now, to - from});
  if (to < from) state.scale_down_events.push_back({now, from - to});
  if (to != from) state.last_scale_time = now;
}

int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// The cpu and memory metrics' say: the largest recommendation and whose it
// is, each one's figures for the message, and the first that failed.
struct ResourceVote {
  std::optional<int32_t> replicas;
  std::string metric;
  std::string basis;  // "; cpu at 85% of its requests (target 70%) recommends 4"
  std::optional<std::string> fault;
};

ResourceVote VoteResources(const AutoscalingPolicy& p, const std::vector<ResourceReading>& in) {
  ResourceVote vote;
  std::ostringstream basis;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string name = ResourceNameString(in[i].name);
    if (!in[i].value) {
      if (!vote.fault) vote.fault = name + " unavailable: " + in[i].value.error().message;
      continue;
    }
    const ResourceRecommendation& rec = *in[i].value;
    const ResourceTarget target = i < p.resources.size() ? p.resources[i].target : ResourceTarget{};
    const char* unit = in[i].name == ResourceName::kCpu ? "m" : " bytes";
    basis << "; " << name << " at ";
    if (rec.average_utilization && target.average_utilization) {
      basis << *rec.average_utilization << "% of its requests (target "
            << *target.average_utilization << "%)";
    } else {
      basis << rec.average_value << unit << " per pod (target " << target.average_value.value_or(0)
            << unit << ")";
    }
    basis << " recommends " << rec.replicas;
    if (!vote.replicas || rec.replicas > *vote.replicas) {
      vote.replicas = rec.replicas;
      vote.metric = name;
    }
  }
  vote.basis = basis.str();
  return vote;
}

}  // namespace

std::string_view ScaleReasonName(ScaleReason reason) {
  switch (reason) {
    case ScaleReason::kSteady:
      return "Steady";
    case ScaleReason::kScaledUp:
      return "ScaledUp";
    case ScaleReason::kScaledDown:
      return "ScaledDown";
    case ScaleReason::kLimitedByMax:
      return "LimitedByMax";
    case ScaleReason::kLimitedByMin:
      return "LimitedByMin";
    case ScaleReason::kLimitedByShards:
      return "LimitedByShards";
    case ScaleReason::kLimitedByPolicy:
      return "LimitedByPolicy";
    case ScaleReason::kStabilized:
      return "Stabilized";
    case ScaleReason::kBelowActivation:
      return "BelowActivation";
    case ScaleReason::kFallback:
      return "Fallback";
    case ScaleReason::kSourceError:
      return "SourceError";
    case ScaleReason::kPaused:
      return "Paused";
    case ScaleReason::kManual:
      return "Manual";
  }
  return "Unknown";
}

bool IsLimit(ScaleReason reason) {
  return reason == ScaleReason::kLimitedByMax || reason == ScaleReason::kLimitedByMin ||
         reason == ScaleReason::kLimitedByShards || reason == ScaleReason::kLimitedByPolicy;
}

AutoscaleOutcome Autoscale(const AutoscaleInput& in, AutoscalerState state) {
  ScaleDecision d;
  d.current = std::max(0, in.current_replicas);
  const int32_t shard_cap =
      static_cast<int32_t>(std::min<uint32_t>(in.shards, std::numeric_limits<int32_t>::max()));
  std::ostringstream msg;
  // Counted whenever autoscaling is on, paused or not, so the count is right
  // on the pass that resumes; manual mode does not read the depth.
  if (!in.policy || in.queue_depth) {
    state.consecutive_failures = 0;
  } else if (in.queue_read) {
    ++state.consecutive_failures;
  }

  if (in.paused) {
    d.desired = d.current;
    d.reason = ScaleReason::kPaused;
    msg << "paused by annotation agentfleet.io/paused; holding " << d.current << " replicas";
    d.message = msg.str();
    return {std::move(d), std::move(state)};
  }

  if (!in.policy) {
    d.desired = std::min(std::max(0, in.manual_replicas), shard_cap);
    d.reason =
        d.desired < in.manual_replicas ? ScaleReason::kLimitedByShards : ScaleReason::kManual;
    if (d.reason == ScaleReason::kLimitedByShards) {
      msg << "spec.replicas " << in.manual_replicas << " exceeds the " << shard_cap
          << " shards; limited to " << d.desired;
    } else {
      msg << "manual scaling: spec.replicas is " << d.desired;
    }
    d.message = msg.str();
    if (d.desired != d.current) state.last_scale_time = in.now;
    return {std::move(d), std::move(state)};
  }

  const AutoscalingPolicy& p = *in.policy;
  const ScalingRules up = ResolveScaleUp(p.behavior.scale_up);
  const ScalingRules down = ResolveScaleDown(p.behavior.scale_down);
  const int32_t max_replicas = std::min(std::max(0, p.max_replicas), shard_cap);
  const int32_t min_replicas = std::min(std::max(0, p.min_replicas), max_replicas);
  const ScaleReason max_reason =
      p.max_replicas > shard_cap ? ScaleReason::kLimitedByShards : ScaleReason::kLimitedByMax;
  const int32_t current = d.current;
  PruneEvents(state.scale_up_events, in.now, LongestPeriod(up));
  PruneEvents(state.scale_down_events, in.now, LongestPeriod(down));

  // As HPA: a count outside [min, max] is brought back first, whatever the metric.
  if (current > max_replicas || current < min_replicas) {
    const bool above = current > max_replicas;
    d.desired = above ? max_replicas : min_replicas;
    d.reason = above ? max_reason : ScaleReason::kLimitedByMin;
    msg << current << " replicas is " << (above ? "above the maximum " : "below the minimum ")
        << d.desired << (max_reason == ScaleReason::kLimitedByShards && above ? " (shards)" : "");
    d.message = msg.str();
    RecordScale(state, in.now, current, d.desired);
    return {std::move(d), std::move(state)};
  }

  int32_t raw = 0;
  int32_t by_queue = 0;
  bool fallback = false;
  bool below_activation = false;
  const ResourceVote resources = current > 0 ? VoteResources(p, in.resources) : ResourceVote{};
  if (current > 0) d.resources = in.resources;
  if (!in.queue_depth) {
    const bool fallback_due =
        p.fallback && state.consecutive_failures >= p.fallback->failure_threshold;
    // As the HPA with a metric it cannot read: up on the others, never down.
    const bool up = resources.replicas && *resources.replicas > current;
    if (!fallback_due && !up) {
      d.desired = current;
      d.reason = ScaleReason::kSourceError;
      msg << "queue depth unavailable (" << state.consecutive_failures << " consecutive failures)"
          << resources.basis << "; holding " << current << " replicas";
      d.message = msg.str();
      return {std::move(d), std::move(state)};
    }
    if (fallback_due) {
      fallback = true;
      raw = std::max(current, p.fallback->replicas);
    }
    if (up && *resources.replicas > raw) {
      // cpu or memory ask for more than the fallback: they decide.
      fallback = false;
      raw = *resources.replicas;
      d.metric = resources.metric;
      d.recommendation = raw;
    }
  } else {
    const int64_t depth = std::max<int64_t>(0, *in.queue_depth);
    const int64_t target = std::max<int64_t>(1, p.target_queue_depth_per_agent);
    below_activation = depth <= p.activation_queue_depth;
    const int64_t wanted = CeilDiv(depth, target);
    const auto clamp32 = [](int64_t v) {
      return static_cast<int32_t>(std::min<int64_t>(v, std::numeric_limits<int32_t>::max()));
    };
    const bool deactivating = min_replicas == 0 && below_activation;
    if (deactivating) {
      raw = 0;
    } else if (current == 0) {
      raw = clamp32(wanted);
    } else {
      // |depth / (current * target) - 1| <= tolerance, boundary included, without
      // the division's rounding (a ratio of exactly 1.1 computes as 1.1000000000000001).
      const double expected = static_cast<double>(current) * static_cast<double>(target);
      const double off = std::abs(static_cast<double>(depth) - expected);
      raw = off <= p.tolerance * expected * (1 + 1e-12) ? current : clamp32(wanted);
    }
    by_queue = raw;
    d.metric = "queue";
    // The queue alone takes a fleet to zero, as KEDA's cpu and memory triggers
    // never keep a ScaledObject active.
    if (!deactivating && resources.replicas && *resources.replicas > raw) {
      raw = *resources.replicas;
      d.metric = resources.metric;
    }
    if (!deactivating && resources.fault && raw < current) {
      d.desired = current;
      d.reason = ScaleReason::kSourceError;
      d.metric.clear();
      msg << *resources.fault << "; queue depth " << depth << " at target "
          << p.target_queue_depth_per_agent << " per agent recommends " << by_queue
          << resources.basis << "; holding " << current << " replicas";
      d.message = msg.str();
      return {std::move(d), std::move(state)};
    }
    d.recommendation = raw;
  }

  const int32_t stabilized =
      Stabilize(state, in.now, current, raw, *up.stabilization_window_seconds,
                *down.stabilization_window_seconds);
  Limited limited = ApplyRate(stabilized, current, min_replicas, max_replicas, max_reason, state,
                              up, down, in.now);
  // KEDA activates 0 -> 1 outside HPA, so neither a window nor a policy holds a
  // fleet at zero once the depth exceeds the activation depth.
  if (current == 0 && raw >= 1 && limited.replicas == 0 && max_replicas >= 1 &&
      *up.select_policy != SelectPolicy::kDisabled) {
    limited = {1, std::nullopt};
  }
  // A failed read never lowers the count.
  if (fallback) limited.replicas = std::max(limited.replicas, current);
  d.desired = limited.replicas;

  if (fallback) {
    d.reason = ScaleReason::kFallback;
    msg << "queue depth unavailable (" << state.consecutive_failures
        << " consecutive failures); fallback to " << raw << " replicas";
    if (d.desired != raw) msg << ", " << d.desired << " this pass";
    msg << resources.basis;
  } else {
    if (in.queue_depth) {
      msg << "queue depth " << *in.queue_depth << " at target " << p.target_queue_depth_per_agent
          << " per agent recommends " << by_queue;
    } else {
      msg << "queue depth unavailable (" << state.consecutive_failures << " consecutive failures)";
    }
    msg << resources.basis;
    if (limited.reason) {
      d.reason = *limited.reason;
      msg << "; limited to " << d.desired << " by ";
      switch (*limited.reason) {
        case ScaleReason::kLimitedByMax:
          msg << "maxReplicas";
          break;
        case ScaleReason::kLimitedByShards:
          msg << "the shard count";
          break;
        case ScaleReason::kLimitedByMin:
          msg << "minReplicas";
          break;
        default:
          msg << (d.desired >= current ? "the scaleUp" : "the scaleDown") << " policies";
          break;
      }
    } else if (d.desired > current) {
      d.reason = ScaleReason::kScaledUp;
      msg << "; scaling up from " << current << " to " << d.desired;
    } else if (d.desired < current) {
      d.reason = ScaleReason::kScaledDown;
      msg << "; scaling down from " << current << " to " << d.desired;
    } else if (stabilized != raw) {
      d.reason = ScaleReason::kStabilized;
      msg << "; stabilization window holds " << current << " replicas";
    } else if (current == 0 && below_activation) {
      d.reason = ScaleReason::kBelowActivation;
      msg << "; at most the activation depth " << p.activation_queue_depth << ", staying at 0";
    } else {
      d.reason = ScaleReason::kSteady;
      msg << "; staying at " << current;
    }
  }
  d.message = msg.str();
  RecordScale(state, in.now, current, d.desired);
  return {std::move(d), std::move(state)};
}

}  // namespace agentfleet::fleet::planner
