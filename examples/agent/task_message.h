#pragma once

// A task as the body of a queue message (Redis lists, SQS, RabbitMQ: queues
// whose messages carry one string, not fields). Pure.
//
// The body is a JSON object:
//   {"task": "t-1", "product": "sku-42", "price": 1999, "version": "1733600000000-0"}
//   task      a task id, non-empty
//   product   the product id; its shard is ShardOf(product, S)
//   price     the base price in cents, 0 <= price <= 10^13: a JSON integer or
//             its decimal string
//   version   optional: "<hi>-<lo>" or a non-negative integer n, standing
//             for (n, 0) (results/task_version.h). A shared queue does not
//             order a product's tasks (SQS delivers in any order, a returned
//             message goes to the back), so a producer that may enqueue two
//             tasks of one product numbers them; without a version the last
//             one priced wins.
//   enqueued  optional: the enqueue time in Unix milliseconds, for the
//             pricing latency when the backend gives none (Redis lists).
// Other members are ignored, as a stream entry's other fields are.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "examples/agent/results/task_version.h"
#include "examples/agent/task.h"

namespace agentfleet::agent {

struct TaskMessage {
  Task task;
  results::TaskVersion version;
  std::optional<std::chrono::system_clock::time_point> enqueued;
};

// kInvalidArgument saying what is wrong (never echoing the whole body).
Result<TaskMessage> ParseTaskMessage(std::string_view body);

// The body of a task: what a producer (and the tests) enqueue.
std::string FormatTaskMessage(const Task& task, const results::TaskVersion& version);

}  // namespace agentfleet::agent
