#include "examples/agent/shard_table.h"

#include <algorithm>

namespace agentfleet::agent {

void ShardTable::Add(uint32_t shard, int64_t token, SteadyTime valid_until) {
  std::lock_guard lock(mu_);
  held_[shard] = HeldLease{token, valid_until, ShardPhase::kActive, 0};
}

void ShardTable::Extend(uint32_t shard, int64_t token, SteadyTime valid_until) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard);
  if (it != held_.end() && it->second.token == token) {
    it->second.valid_until = std::max(it->second.valid_until, valid_until);
  }
}

void ShardTable::SetPhase(uint32_t shard, ShardPhase phase) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard);
  if (it != held_.end()) it->second.phase = phase;
}

std::vector<ActiveShard> ShardTable::TakeIdleDraining(const std::vector<uint32_t>& shards) {
  std::lock_guard lock(mu_);
  std::vector<ActiveShard> out;
  for (uint32_t s : shards) {
    auto it = held_.find(s);
    if (it == held_.end() || it->second.phase != ShardPhase::kDraining ||
        it->second.in_flight > 0) {
      continue;
    }
    out.push_back({s, it->second.token});
    held_.erase(it);
  }
  return out;
}

std::vector<ActiveShard> ShardTable::RemoveExpired(SteadyTime now) {
  std::lock_guard lock(mu_);
  std::vector<ActiveShard> out;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.valid_until <= now) {
      out.push_back({it->first, it->second.token});
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<ActiveShard> ShardTable::TakeAll() {
  std::lock_guard lock(mu_);
  std::vector<ActiveShard> out;
  for (const auto& [s, l] : held_) out.push_back({s, l.token});
  held_.clear();
  return out;
}

std::map<uint32_t, HeldShard> ShardTable::View() const {
  std::lock_guard lock(mu_);
  std::map<uint32_t, HeldShard> out;
  for (const auto& [s, l] : held_) out[s] = HeldShard{l.phase, l.in_flight};
  return out;
}

std::vector<ActiveShard> ShardTable::Held() const {
  std::lock_guard lock(mu_);
  std::vector<ActiveShard> out;
  for (const auto& [s, l] : held_) out.push_back({s, l.token});
  return out;
}

size_t ShardTable::size() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

std::vector<ActiveShard> ShardTable::Active(SteadyTime now) const {
  std::lock_guard lock(mu_);
  std::vector<ActiveShard> out;
  for (const auto& [s, l] : held_) {
    if (l.phase == ShardPhase::kActive && l.valid_until > now) out.push_back({s, l.token});
  }
  return out;
}

bool ShardTable::BeginBatch(uint32_t shard, int64_t token, SteadyTime now) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard);
  if (it == held_.end() || it->second.token != token || it->second.phase != ShardPhase::kActive ||
      it->second.valid_until <= now) {
    return false;
  }
  ++it->second.in_flight;
  return true;
}

void ShardTable::EndBatch(uint32_t shard, int64_t token) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard);
  if (it != held_.end() && it->second.token == token && it->second.in_flight > 0) {
    --it->second.in_flight;
  }
}

bool ShardTable::StillValid(uint32_t shard, int64_t token, SteadyTime now) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard);
  return it != held_.end() && it->second.token == token && it->second.valid_until > now;
}

bool ShardTable::MarkLost(uint32_t shard, int64_t token) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard);
  if (it == held_.end() || it->second.token != token) return false;
  held_.erase(it);
  return true;
}

}  // namespace agentfleet::agent
