#pragma once

// The agent Pod the operator creates from a fleet's spec.template: labelled
// for the fleet's selector, controlled by the fleet (so deleting the fleet
// garbage-collects it), and given what the agent needs to find its shards —
// the pod's annotations as a downward-API file (the kubelet refreshes it when
// the operator rewrites the assignment) and the environment variables the
// reference agent reads (docs/protocol.md, "Pod wiring").

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::reconciler {

inline constexpr std::string_view kAssignmentVolume = "agentfleet-assignment";
inline constexpr std::string_view kAssignmentDir = "/etc/agentfleet";
inline constexpr std::string_view kAssignmentFile = "/etc/agentfleet/annotations";

// The variables set in every container: the pod's name and namespace (downward
// API), the fleet, its shard count, the assignment file, the lease store (URL,
// key prefix or PostgreSQL sslMode, duration) and, for a Redis-streams queue, the queue; passwords
// as secretKeyRef, never as values.
nlohmann::json AgentEnv(const api::Fleet& fleet);

// A new pod with an empty assignment (generation 0); SetAssignment gives it
// the shards the planner chose for it.
nlohmann::json BuildAgentPod(const api::Fleet& fleet, const std::string& pod_name);

// Writes an assignment into a pod object's annotations (before its create).
void SetAssignment(nlohmann::json& pod, const std::string& shard_ranges, int64_t generation);

// The JSON merge patch that gives a pod a new assignment.
nlohmann::json AssignmentPatch(const std::string& shard_ranges, int64_t generation);

// The JSON merge patch that marks a pod retiring since `since` (RFC 3339).
nlohmann::json RetiringPatch(const std::string& since);

}  // namespace agentfleet::fleet::reconciler
