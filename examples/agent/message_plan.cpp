#include "examples/agent/message_plan.h"

#include <map>

#include "controller/sources/protocol/shard.h"
#include "examples/agent/task_message.h"

namespace agentfleet::agent {

MessagePlan PlanMessages(const std::vector<queues::Delivery>& batch,
                         const std::vector<ActiveShard>& active, uint32_t shard_count) {
  MessagePlan plan;
  std::map<uint32_t, int64_t> held;
  for (const auto& a : active) held[a.shard] = a.token;
  std::map<uint32_t, size_t> slot;   // shard → position in plan.work
  std::vector<NewestPrices> newest;  // per work

  for (size_t i = 0; i < batch.size(); ++i) {
    auto msg = ParseTaskMessage(batch[i].body);
    if (!msg.ok()) {
      plan.invalid.push_back({i, msg.error().message});
      continue;
    }
    const uint32_t shard = sources::protocol::ShardOf(msg->task.product, shard_count);
    auto h = held.find(shard);
    if (h == held.end()) {
      plan.elsewhere.push_back(i);
      continue;
    }
    auto [s, fresh] = slot.emplace(shard, plan.work.size());
    if (fresh) {
      plan.work.push_back({{shard, h->second}, {}, {}, {}});
      newest.emplace_back();
    }
    ShardWork& w = plan.work[s->second];
    w.deliveries.push_back(i);
    w.enqueued.push_back(batch[i].enqueued ? batch[i].enqueued : msg->enqueued);
    newest[s->second].Add({msg->task.product, Reprice(msg->task.base_price), msg->version});
  }
  for (size_t k = 0; k < plan.work.size(); ++k) plan.work[k].prices = newest[k].Take();
  return plan;
}

}  // namespace agentfleet::agent
