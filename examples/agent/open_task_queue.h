#pragma once

// The shared task queue of --queue-backend (redis-list, sqs, rabbitmq),
// connected and checked, from the agent's options.

#include <memory>
#include <string>

#include "controller/base/result.h"
#include "controller/obs/log.h"
#include "examples/agent/agent_options.h"
#include "examples/agent/queues/task_queue.h"

namespace agentfleet::agent {

// `consumer` is the holder id: unique per process incarnation. Credentials
// found on the way are added to `log`'s secrets.
Result<std::unique_ptr<queues::TaskQueue>> OpenTaskQueue(const AgentOptions& o,
                                                         const std::string& consumer,
                                                         obs::Logger& log);

}  // namespace agentfleet::agent
