#pragma once

#include <chrono>

namespace agentfleet::fleet::planner {

// The planner never reads a clock: every decision takes `now` as a value. Wall
// time, because the instants it compares (retirement marks, pod creation) are
// stored in annotations and object metadata, which are wall-clock stamps.
using Time = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

}  // namespace agentfleet::fleet::planner
