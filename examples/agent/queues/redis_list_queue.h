#pragma once

// A Redis list as a shared task queue, consumed reliably. Producers append
// (RPUSH) JSON task messages (task_message.h) to <key>; the operator scales
// on LLEN <key>. A consumer moves each message it takes, atomically, to its
// own in-work list <key>:processing:<consumer> (LMOVE), so that nothing is
// lost if it dies; settling removes it from there (LREM), after a return
// (RPUSH <key>, to the back) or a dead-letter (RPUSH <dead_key>, as
// {"reason", "list", "body"}) in the same MULTI/EXEC. A consumer registers in
// the set <key>:consumers and proves it is alive with the key
// <key>:consumer:<consumer>, which expires after `heartbeat_ttl` unless
// renewed. Once per TTL, one consumer of the fleet (whoever sets
// <key>:recovery first) sweeps the registry: the in-work messages of each
// consumer whose key lapsed go back to the head of <key>, oldest first (a Lua
// script, atomic with the check), and it leaves the registry. The sweep costs
// the fleet one pass over its consumers per TTL, not one per agent. A settle
// command that fails leaves its messages in work; they go back before the
// next receive (at least once).

#include <memory>
#include <string>

#include "controller/sources/redis/client.h"
#include "examples/agent/queues/task_queue.h"

namespace agentfleet::agent::queues {

struct RedisListConfig {
  std::string key;
  std::string dead_key;  // empty: <key>:dead
  std::string consumer;  // unique per process incarnation (the holder id)
  std::chrono::milliseconds heartbeat_ttl{5'000};
};

class RedisListQueue final : public TaskQueue {
 public:
  RedisListQueue(RedisListConfig config, std::unique_ptr<sources::redis::Client> client);
  ~RedisListQueue() override;  // drops the heartbeat key

  Result<std::vector<Delivery>> Receive(int max, std::chrono::milliseconds wait) override;
  Status Done(std::span<const Delivery> deliveries) override;
  Status Return(std::span<const Delivery> deliveries) override;
  Status DeadLetter(const Delivery& delivery, std::string_view reason) override;
  Status KeepAlive(std::span<const Delivery> in_work) override;
  std::chrono::milliseconds KeepAlivePeriod() const override;
  std::string Describe() const override;

  // Puts back the in-work messages of every registered consumer whose
  // heartbeat lapsed and unregisters it; the number of messages put back.
  // KeepAlive does it when this consumer is the TTL's sweeper.
  Result<int64_t> RecoverAbandoned();

  const std::string& processing_key() const { return processing_; }

 private:
  Status Exec(std::vector<sources::redis::Client::Args> commands, const char* what);

  RedisListConfig config_;
  std::unique_ptr<sources::redis::Client> client_;
  std::string ProcessingKey(const std::string& consumer) const;
  std::string AliveKey(const std::string& consumer) const;

  std::string processing_;
  std::string alive_;
  std::string consumers_;  // the registry
  bool registered_ = false;
  std::chrono::steady_clock::time_point next_recovery_{};
  bool unsettled_ = false;  // a command failed halfway: see Receive
};

}  // namespace agentfleet::agent::queues
