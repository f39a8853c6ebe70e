#pragma once

// Every fleet holds a queue connection and a lease-store connection, and
// each costs several descriptors (the socket and its event loop's epoll,
// timer and event fds): at the usual soft limit of 1,024 open files an
// operator runs out at roughly 125 fleets. The hard limit, which the
// container runtime sets (often 1,048,576), is what the process may use; the
// soft one is raised to it at start-up, as Go's runtime does for every Go
// controller.

#include <cstdint>

namespace agentfleet {

// Raises the soft RLIMIT_NOFILE to the hard one; returns the soft limit in
// force afterwards (unchanged when it cannot be raised).
uint64_t RaiseOpenFileLimit();

}  // namespace agentfleet
