#include "examples/agent/results/redis_result_store.h"

#include <charconv>

#include "controller/sources/lease/lease_store.h"

namespace agentfleet::agent::results {
namespace {

namespace redis = sources::redis;

// KEYS: fence, prices. ARGV: shard, token, (product, price)...
// Returns {1, token} when accepted, {0, high_water} when fenced off.
const redis::Script& WriteScript() {
  static const redis::Script s(
      "local mark = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')\n"
      "local token = tonumber(ARGV[2])\n"
      "if token < mark then return {0, mark} end\n"
      "if token > mark then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end\n"
      "for i = 3, #ARGV, 2 do\n"
      "  redis.call('HSET', KEYS[2], ARGV[i], ARGV[2] .. ' ' .. ARGV[1] .. ' ' .. ARGV[i + 1])\n"
      "end\n"
      "return {1, token}\n");
  return s;
}

// KEYS: fence. ARGV: shard, token. Raises the mark, never lowers it.
const redis::Script& RaiseScript() {
  static const redis::Script s(
      "local mark = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')\n"
      "if tonumber(ARGV[2]) > mark then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end\n"
      "return 1\n");
  return s;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

Error Unexpected(std::string_view what) {
  return MakeError(ErrorCode::kInternal,
                   "redis result store: unexpected reply to " + std::string(what));
}

}  // namespace

Result<std::unique_ptr<RedisResultStore>> RedisResultStore::Connect(const redis::Options& options,
                                                                    std::string key_prefix) {
  auto client = redis::Client::Connect(options);
  if (!client.ok()) return client.error();
  return std::make_unique<RedisResultStore>(std::move(*client), std::move(key_prefix));
}

RedisResultStore::RedisResultStore(std::unique_ptr<redis::Client> client, std::string key_prefix)
    : client_(std::move(client)), prefix_(std::move(key_prefix)) {}

std::string RedisResultStore::FenceKey(std::string_view fleet) const {
  return prefix_ + "results:{" + std::string(fleet) + "}:fence";
}
std::string RedisResultStore::PricesKey(std::string_view fleet) const {
  return prefix_ + "results:{" + std::string(fleet) + "}:prices";
}

Status RedisResultStore::Write(std::string_view fleet, uint32_t shard, int64_t token,
                               const std::vector<PriceWrite>& prices) {
  if (auto s = ValidateWrite(fleet, token, prices); !s.ok()) return s;
  std::vector<std::string> args{std::to_string(shard), std::to_string(token)};
  for (const auto& p : prices) {
    args.push_back(p.product);
    args.push_back(std::to_string(p.price));
  }
  Result<redis::Reply> r = redis::Reply{};
  {
    std::lock_guard lock(mu_);
    r = client_->Eval(WriteScript(), {FenceKey(fleet), PricesKey(fleet)}, args);
  }
  if (!r.ok()) return r.error();
  if (!r->IsArray() || r->elements.size() != 2) return Unexpected("write");
  auto accepted = r->elements[0].AsInteger(), mark = r->elements[1].AsInteger();
  if (!accepted.ok() || !mark.ok()) return Unexpected("write");
  if (*accepted != 1) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "shard " + std::to_string(shard) + " of fleet " + std::string(fleet) +
                         ": token " + std::to_string(token) +
                         " is fenced off; the store has accepted token " + std::to_string(*mark));
  }
  return Ok{};
}

Result<std::optional<StoredPrice>> RedisResultStore::Get(std::string_view fleet,
                                                         std::string_view product) {
  Result<redis::Reply> r = redis::Reply{};
  {
    std::lock_guard lock(mu_);
    r = client_->Command({"HGET", PricesKey(fleet), std::string(product)});
  }
  if (!r.ok()) return r.error();
  if (r->IsNil()) return std::optional<StoredPrice>();
  const std::string& v = r->str;
  const size_t a = v.find(' '), b = a == std::string::npos ? a : v.find(' ', a + 1);
  if (b == std::string::npos) return Unexpected("get");
  auto token = ParseInt(std::string_view(v).substr(0, a));
  auto shard = ParseInt(std::string_view(v).substr(a + 1, b - a - 1));
  auto price = ParseInt(std::string_view(v).substr(b + 1));
  if (!token || !shard || !price) return Unexpected("get");
  return std::optional<StoredPrice>(
      StoredPrice{std::string(product), static_cast<uint32_t>(*shard), *price, *token});
}

Status RedisResultStore::RaiseFence(std::string_view fleet, uint32_t shard, int64_t token) {
  if (auto s = ValidateFence(fleet, token); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto r = client_->Eval(RaiseScript(), {FenceKey(fleet)},
                         {std::to_string(shard), std::to_string(token)});
  if (!r.ok()) return r.error();
  return Ok{};
}

Result<int64_t> RedisResultStore::HighWater(std::string_view fleet, uint32_t shard) {
  Result<redis::Reply> r = redis::Reply{};
  {
    std::lock_guard lock(mu_);
    r = client_->Command({"HGET", FenceKey(fleet), std::to_string(shard)});
  }
  if (!r.ok()) return r.error();
  if (r->IsNil()) return int64_t{0};
  return r->AsInteger();
}

Status RedisResultStore::DeleteFleet(std::string_view fleet) {
  if (auto s = sources::lease::ValidateFleet(fleet); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto r = client_->Command({"DEL", FenceKey(fleet), PricesKey(fleet)});
  if (!r.ok()) return r.error();
  return Ok{};
}

}  // namespace agentfleet::agent::results
