#pragma once

// How long a task waited and took, from its enqueue to its price stored: the
// pricing latency a fleet's team watches (pricing_agent_task_latency_seconds).
// A Redis Streams entry ID starts with the milliseconds of the server's clock
// at the XADD, so the enqueue time travels with every task; the reading is as
// good as the agreement of the Redis server's and the agent's clocks (NTP).

#include <chrono>
#include <optional>
#include <string_view>

namespace agentfleet::agent {

// Seconds from the enqueue of the task with stream entry ID `id` ("<ms>-<seq>")
// until `now`; 0 when the server's clock is ahead; nullopt for an ID that is
// not one.
std::optional<double> TaskLatencySeconds(std::string_view id,
                                         std::chrono::system_clock::time_point now);

// Seconds from `enqueued` (a shared queue's own timestamp, or the task
// message's) until `now`; 0 when the enqueuer's clock is ahead.
double TaskLatencySeconds(std::chrono::system_clock::time_point enqueued,
                          std::chrono::system_clock::time_point now);

}  // namespace agentfleet::agent
