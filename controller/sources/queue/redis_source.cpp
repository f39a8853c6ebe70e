#include "controller/sources/queue/redis_source.h"

#include <mutex>

#include "controller/base/redact.h"
#include "controller/sources/protocol/shard.h"
#include "controller/sources/queue/redis_stream_depth.h"
#include "controller/sources/redis/client.h"

namespace agentfleet::sources::queue {
namespace {

using Args = redis::Client::Args;

// The Redis sources differ only in the commands they pipeline and in how they
// read the replies back.
class RedisSource : public QueueSource {
 public:
  explicit RedisSource(redis::Options server)
      : server_(std::move(server)), redactor_({server_.password}) {}

  Result<QueueDepth> ReadDepth() final {
    std::lock_guard lock(mu_);
    if (!client_) {
      auto client = redis::Client::Connect(server_);
      if (!client.ok()) return redactor_.Redact(client.error());
      client_ = std::move(client).value();
    }
    auto replies = client_->Pipeline(commands_);
    if (!replies.ok()) return redactor_.Redact(replies.error());
    if (replies->size() != commands_.size()) {
      return MakeError(ErrorCode::kInternal, "redis " + server_.Endpoint() + ": " +
                                                 std::to_string(replies->size()) + " replies to " +
                                                 std::to_string(commands_.size()) + " commands");
    }
    return redactor_.Redact(FromReplies(*replies));
  }

 protected:
  virtual Result<QueueDepth> FromReplies(const std::vector<redis::Reply>& replies) const = 0;

  std::string Where() const { return "redis " + server_.Endpoint(); }

  std::vector<Args> commands_;

 private:
  const redis::Options server_;
  const Redactor redactor_;
  std::mutex mu_;
  std::unique_ptr<redis::Client> client_;  // guarded by mu_; connected lazily
};

class ShardedStreamsSource final : public RedisSource {
 public:
  explicit ShardedStreamsSource(RedisShardedStreamsConfig c)
      : RedisSource(std::move(c.server)),
        prefix_(std::move(c.key_prefix)),
        group_(std::move(c.group)) {
    keys_.reserve(static_cast<size_t>(c.shards));
    for (int s = 0; s < c.shards; ++s) {
      keys_.push_back(prefix_ + ":" + std::to_string(s));
      for (auto& cmd : redis_stream::Commands(keys_.back())) commands_.push_back(std::move(cmd));
    }
  }

  std::string Describe() const override {
    return "redis streams " + prefix_ + ":0.." + std::to_string(keys_.size() - 1) + " group " +
           group_ + " at " + Where();
  }

 private:
  Result<QueueDepth> FromReplies(const std::vector<redis::Reply>& replies) const override {
    QueueDepth depth;
    depth.shards.reserve(keys_.size());
    for (size_t i = 0; i < keys_.size(); ++i) {
      auto d = redis_stream::Depth(replies[2 * i], replies[2 * i + 1], keys_[i], group_);
      if (!d.ok()) return MakeError(d.error().code, Where() + ": " + d.error().message);
      depth.shards.push_back(*d);
      depth.total += *d;
    }
    return depth;
  }

  const std::string prefix_;
  const std::string group_;
  std::vector<std::string> keys_;
};

class StreamSource final : public RedisSource {
 public:
  explicit StreamSource(RedisStreamConfig c)
      : RedisSource(std::move(c.server)), key_(std::move(c.key)), group_(std::move(c.group)) {
    commands_ = group_.empty() ? std::vector<Args>{{"XLEN", key_}} : redis_stream::Commands(key_);
  }

  std::string Describe() const override {
    return "redis stream " + key_ + (group_.empty() ? "" : " group " + group_) + " at " + Where();
  }

 private:
  Result<QueueDepth> FromReplies(const std::vector<redis::Reply>& replies) const override {
    auto d = group_.empty() ? redis_stream::Length(replies[0], key_, "XLEN")
                            : redis_stream::Depth(replies[0], replies[1], key_, group_);
    if (!d.ok()) return MakeError(d.error().code, Where() + ": " + d.error().message);
    return QueueDepth{*d, {}};
  }

  const std::string key_;
  const std::string group_;
};

class ListSource final : public RedisSource {
 public:
  explicit ListSource(RedisListConfig c)
      : RedisSource(std::move(c.server)), key_(std::move(c.key)) {
    commands_ = {{"LLEN", key_}};
  }

  std::string Describe() const override { return "redis list " + key_ + " at " + Where(); }

 private:
  Result<QueueDepth> FromReplies(const std::vector<redis::Reply>& replies) const override {
    auto d = redis_stream::Length(replies[0], key_, "LLEN");
    if (!d.ok()) return MakeError(d.error().code, Where() + ": " + d.error().message);
    return QueueDepth{*d, {}};
  }

  const std::string key_;
};

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, "redis source: " + std::move(message));
}

Status CheckServer(const redis::Options& s) {
  if (s.host.empty()) return Invalid("host is required");
  if (s.port == 0) return Invalid("port is required");
  if (s.connect_timeout.count() <= 0 || s.command_timeout.count() <= 0) {
    return Invalid("timeouts must be > 0");
  }
  return Ok{};
}

// Beyond this a pipeline's replies stop fitting a sensible memory budget; the
// CRD and the agents have the same limit.
constexpr int kMaxShards = static_cast<int>(protocol::kMaxShards);

}  // namespace

Result<std::unique_ptr<QueueSource>> MakeRedisShardedStreamsSource(RedisShardedStreamsConfig c) {
  if (auto s = CheckServer(c.server); !s.ok()) return s.error();
  if (c.key_prefix.empty()) return Invalid("key prefix is required");
  if (c.shards <= 0 || c.shards > kMaxShards) {
    return Invalid("shards must be between 1 and " + std::to_string(kMaxShards));
  }
  if (c.group.empty()) return Invalid("consumer group is required");
  return std::unique_ptr<QueueSource>(new ShardedStreamsSource(std::move(c)));
}

Result<std::unique_ptr<QueueSource>> MakeRedisStreamSource(RedisStreamConfig c) {
  if (auto s = CheckServer(c.server); !s.ok()) return s.error();
  if (c.key.empty()) return Invalid("stream key is required");
  return std::unique_ptr<QueueSource>(new StreamSource(std::move(c)));
}

Result<std::unique_ptr<QueueSource>> MakeRedisListSource(RedisListConfig c) {
  if (auto s = CheckServer(c.server); !s.ok()) return s.error();
  if (c.key.empty()) return Invalid("list key is required");
  return std::unique_ptr<QueueSource>(new ListSource(std::move(c)));
}

}  // namespace agentfleet::sources::queue
