#pragma once

// Sleeping that shutdown can cut short, for waits on a token bucket or a
// backoff (the watch's reconnect delay, the REST client's limiter).

#include <chrono>
#include <stop_token>

#include "controller/kube/workqueue/token_bucket.h"

namespace agentfleet::kube::workqueue {

// Sleeps for `d` of real time; returns false at once when `stop` is requested
// (before or during the sleep), true when the full time passed.
bool SleepFor(std::chrono::nanoseconds d, std::stop_token stop);

// A Sleeper for TokenBucket::Wait that returns early when `stop` is requested.
// The caller checks `stop` afterwards to tell an interrupted wait from a
// completed one.
Sleeper StoppableSleeper(std::stop_token stop);

}  // namespace agentfleet::kube::workqueue
