#include "examples/agent/results/redis_result_store.h"

#include <charconv>

#include "controller/sources/lease/lease_store.h"

namespace agentfleet::agent::results {
namespace {

namespace redis = sources::redis;

// KEYS: fence, prices. ARGV: shard, token, (product, price, version hi, lo)...
// Returns {1, token, superseded} when accepted, {0, high_water, 0} when
// fenced off. Version parts arrive in canonical decimal (FormatTaskVersion's
// digits), so comparing length, then text, is exact; tonumber would round
// past 2^53. A stored value without a version is (0, 0).
const redis::Script& WriteScript() {
  static const redis::Script s(
      "local mark = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')\n"
      "local token = tonumber(ARGV[2])\n"
      "if token < mark then return {0, mark, 0} end\n"
      "if token > mark then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end\n"
      "local function less(a, b)\n"
      "  if #a ~= #b then return #a < #b end\n"
      "  return a < b\n"
      "end\n"
      "local superseded = 0\n"
      "for i = 3, #ARGV, 4 do\n"
      "  local hi, lo = ARGV[i + 2], ARGV[i + 3]\n"
      "  local old = redis.call('HGET', KEYS[2], ARGV[i])\n"
      "  local ohi, olo = '0', '0'\n"
      "  if old then\n"
      "    local h, l = string.match(old, '^%d+ %d+ %-?%d+ (%d+)%-(%d+)$')\n"
      "    if h then ohi, olo = h, l end\n"
      "  end\n"
      "  if less(hi, ohi) or (hi == ohi and less(lo, olo)) then\n"
      "    superseded = superseded + 1\n"
      "  else\n"
      "    redis.call('HSET', KEYS[2], ARGV[i],\n"
      "               ARGV[2] .. ' ' .. ARGV[1] .. ' ' .. ARGV[i + 1] .. ' ' .. hi .. '-' .. lo)\n"
      "  end\n"
      "end\n"
      "return {1, token, superseded}\n");
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

Result<WriteOutcome> RedisResultStore::Write(std::string_view fleet, uint32_t shard, int64_t token,
                                             const std::vector<PriceWrite>& prices) {
  if (auto s = ValidateWrite(fleet, token, prices); !s.ok()) return s.error();
  std::vector<std::string> args{std::to_string(shard), std::to_string(token)};
  for (const auto& p : prices) {
    args.push_back(p.product);
    args.push_back(std::to_string(p.price));
    args.push_back(std::to_string(p.version.hi));
    args.push_back(std::to_string(p.version.lo));
  }
  Result<redis::Reply> r = redis::Reply{};
  {
    std::lock_guard lock(mu_);
    r = client_->Eval(WriteScript(), {FenceKey(fleet), PricesKey(fleet)}, args);
  }
  if (!r.ok()) return r.error();
  if (!r->IsArray() || r->elements.size() != 3) return Unexpected("write");
  auto accepted = r->elements[0].AsInteger(), mark = r->elements[1].AsInteger();
  auto superseded = r->elements[2].AsInteger();
  if (!accepted.ok() || !mark.ok() || !superseded.ok() || *superseded < 0 ||
      static_cast<size_t>(*superseded) > prices.size()) {
    return Unexpected("write");
  }
  if (*accepted != 1) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "shard " + std::to_string(shard) + " of fleet " + std::string(fleet) +
                         ": token " + std::to_string(token) +
                         " is fenced off; the store has accepted token " + std::to_string(*mark));
  }
  return WriteOutcome{static_cast<size_t>(*superseded)};
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
  // "<token> <shard> <price> <version>", or without the version if stored
  // before versions existed: (0, 0).
  const std::string_view v = r->str;
  const size_t a = v.find(' '), b = a == v.npos ? a : v.find(' ', a + 1);
  if (b == v.npos) return Unexpected("get");
  const size_t c = v.find(' ', b + 1);
  auto token = ParseInt(v.substr(0, a));
  auto shard = ParseInt(v.substr(a + 1, b - a - 1));
  auto price = ParseInt(v.substr(b + 1, c == v.npos ? c : c - b - 1));
  auto version = c == v.npos ? std::optional(TaskVersion{}) : ParseTaskVersion(v.substr(c + 1));
  if (!token || !shard || !price || !version) return Unexpected("get");
  return std::optional<StoredPrice>(
      StoredPrice{std::string(product), static_cast<uint32_t>(*shard), *price, *token, *version});
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
