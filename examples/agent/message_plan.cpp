#include "examples/agent/message_plan.h"

#include <map>
#include <unordered_map>

#include "controller/sources/protocol/shard.h"
#include "examples/agent/task_message.h"

namespace agentfleet::agent {

MessagePlan PlanMessages(const std::vector<queues::Delivery>& batch,
                         const std::vector<ActiveShard>& active, uint32_t shard_count) {
  MessagePlan plan;
  std::map<uint32_t, int64_t> held;
  for (const auto& a : active) held[a.shard] = a.token;
  std::map<uint32_t, size_t> slot;                                // shard → position in plan.work
  std::vector<std::unordered_map<std::string, size_t>> products;  // per work: product → price

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
      products.emplace_back();
    }
    ShardWork& w = plan.work[s->second];
    w.deliveries.push_back(i);
    w.enqueued.push_back(batch[i].enqueued ? batch[i].enqueued : msg->enqueued);
    results::PriceWrite write{msg->task.product, Reprice(msg->task.base_price), msg->version};
    auto [p, first] = products[s->second].emplace(write.product, w.prices.size());
    if (first) {
      w.prices.push_back(std::move(write));
    } else if (w.prices[p->second].version <= write.version) {
      w.prices[p->second] = std::move(write);
    }
  }
  return plan;
}

}  // namespace agentfleet::agent
