#pragma once

// Waiting for a condition and finding a fixture server, for the tests that
// run against real servers started by CTest fixtures.

#include <chrono>
#include <functional>

namespace agentfleet::testing {

// Polls `ok` every `interval` until it holds or `timeout` passes; the last
// call decides.
bool Eventually(const std::function<bool()>& ok, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(200));

// The port a fixture server wrote to "$<dir_variable>/port"; 0 when the
// variable is unset (the test was not run through ctest) or the file is bad.
int FixturePort(const char* dir_variable);

}  // namespace agentfleet::testing
