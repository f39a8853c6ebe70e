#pragma once

// How the agents and agent-kubelet learn that they are to stop: SIGTERM (the
// kubelet's, at pod deletion) and SIGINT set a flag their main loops poll;
// SIGPIPE is ignored, so that a peer closing a socket is an error value on
// the write, not the death of the process. (agentfleet-controller takes its
// signals with sigwait instead: controller/main.cpp.)

namespace agentfleet {

// Installs the handlers; call once from main, before any thread starts.
void InstallStopSignals();

// Whether SIGTERM or SIGINT has arrived.
bool StopRequested();

}  // namespace agentfleet
