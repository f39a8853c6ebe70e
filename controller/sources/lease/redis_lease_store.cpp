#include "controller/sources/lease/redis_lease_store.h"

#include <algorithm>
#include <charconv>

#include "controller/sources/lease/outcome.h"
#include "controller/sources/lease/redis_lease_scripts.h"

namespace agentfleet::sources::lease {
namespace {

const redis::Script& AcquireScript() {
  static const redis::Script s(scripts::kAcquire);
  return s;
}
const redis::Script& RenewScript() {
  static const redis::Script s(scripts::kRenew);
  return s;
}
const redis::Script& ReleaseScript() {
  static const redis::Script s(scripts::kRelease);
  return s;
}
const redis::Script& RevokeScript() {
  static const redis::Script s(scripts::kRevoke);
  return s;
}
const redis::Script& PublishScript() {
  static const redis::Script s(scripts::kPublishAssignments);
  return s;
}
const redis::Script& RemoveAssignmentsScript() {
  static const redis::Script s(scripts::kRemoveAssignments);
  return s;
}

Error Unexpected(std::string_view what) {
  return MakeError(ErrorCode::kInternal,
                   "redis lease store: unexpected reply to " + std::string(what));
}

// `head`, then (shard, token) for each lease: the scripts' ARGV.
std::vector<std::string> ShardTokenArgs(std::vector<std::string> head,
                                        const std::vector<ShardToken>& leases) {
  for (const auto& l : leases) {
    head.push_back(std::to_string(l.shard));
    head.push_back(std::to_string(l.token));
  }
  return head;
}

// Decodes {now_ms, {{ok, has, token, exp, holder}...}} for `shards`.
Result<std::vector<Outcome>> DecodeOutcomes(const redis::Reply& reply,
                                            const std::vector<uint32_t>& shards,
                                            std::string_view what) {
  if (!reply.IsArray() || reply.elements.size() != 2 || !reply.elements[1].IsArray() ||
      reply.elements[1].elements.size() != shards.size()) {
    return Unexpected(what);
  }
  auto now = reply.elements[0].AsInteger();
  if (!now.ok()) return Unexpected(what);
  std::vector<Outcome> out;
  out.reserve(shards.size());
  for (size_t i = 0; i < shards.size(); ++i) {
    const redis::Reply& e = reply.elements[1].elements[i];
    if (!e.IsArray() || e.elements.size() != 5) return Unexpected(what);
    auto ok = e.elements[0].AsInteger(), has = e.elements[1].AsInteger(),
         token = e.elements[2].AsInteger(), exp = e.elements[3].AsInteger();
    auto holder = e.elements[4].AsString();
    if (!ok.ok() || !has.ok() || !token.ok() || !exp.ok() || !holder.ok()) {
      return Unexpected(what);
    }
    Outcome o;
    o.shard = shards[i];
    o.ok = *ok == 1;
    o.now_ms = *now;
    if (*has == 1) o.record = LeaseRecord{shards[i], *holder, *token, *exp};
    out.push_back(std::move(o));
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<LeaseRecord> ParseRecord(std::string_view field, std::string_view value) {
  const size_t a = value.find(' ');
  const size_t b = a == std::string_view::npos ? a : value.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto shard = ParseInt(field);
  auto token = ParseInt(value.substr(0, a));
  auto exp = ParseInt(value.substr(a + 1, b - a - 1));
  if (!shard || *shard < 0 || *shard > UINT32_MAX || !token || !exp) return std::nullopt;
  return LeaseRecord{static_cast<uint32_t>(*shard), std::string(value.substr(b + 1)), *token, *exp};
}

Status CheckCommon(std::string_view fleet, std::string_view holder) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s;
  return ValidateHolder(holder);
}

std::vector<uint32_t> ShardsOf(const std::vector<ShardToken>& leases) {
  std::vector<uint32_t> v;
  v.reserve(leases.size());
  for (const auto& l : leases) v.push_back(l.shard);
  return v;
}

}  // namespace

Result<std::unique_ptr<RedisLeaseStore>> RedisLeaseStore::Connect(const redis::Options& options,
                                                                  std::string key_prefix) {
  auto client = redis::Client::Connect(options);
  if (!client.ok()) return client.error();
  return std::make_unique<RedisLeaseStore>(std::move(*client), std::move(key_prefix));
}

RedisLeaseStore::RedisLeaseStore(std::unique_ptr<redis::Client> client, std::string key_prefix)
    : client_(std::move(client)), prefix_(std::move(key_prefix)) {}

std::string RedisLeaseStore::Key(std::string_view fleet) const {
  return prefix_ + "lease:{" + std::string(fleet) + "}";
}

std::string RedisLeaseStore::AssignmentKey(std::string_view fleet) const {
  return prefix_ + "assignment:{" + std::string(fleet) + "}";
}

Result<redis::Reply> RedisLeaseStore::RunOnAssignments(const redis::Script& script,
                                                       std::string_view fleet,
                                                       std::vector<std::string> args) {
  std::lock_guard lock(mu_);
  return client_->Eval(script, {AssignmentKey(fleet)}, args);
}

Result<redis::Reply> RedisLeaseStore::Run(const redis::Script& script, std::string_view fleet,
                                          std::vector<std::string> args) {
  std::lock_guard lock(mu_);
  return client_->Eval(script, {Key(fleet)}, args);
}

Result<std::vector<Result<Lease>>> RedisLeaseStore::AcquireMany(std::string_view fleet,
                                                                const std::vector<uint32_t>& shards,
                                                                std::string_view holder,
                                                                Millis ttl) {
  if (auto s = CheckCommon(fleet, holder); !s.ok()) return s.error();
  if (auto s = ValidateTtl(ttl); !s.ok()) return s.error();
  if (auto s = ValidateDistinct(shards); !s.ok()) return s.error();
  if (shards.empty()) return std::vector<Result<Lease>>{};
  std::vector<std::string> args{std::string(holder), std::to_string(ttl.count())};
  for (uint32_t s : shards) args.push_back(std::to_string(s));
  auto reply = Run(AcquireScript(), fleet, std::move(args));
  if (!reply.ok()) return reply.error();
  auto outcomes = DecodeOutcomes(*reply, shards, "acquire");
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Result<Lease>> out;
  for (const Outcome& o : *outcomes) out.push_back(ToLease(Op::kAcquire, fleet, holder, 0, o));
  return out;
}

Result<std::vector<Result<Lease>>> RedisLeaseStore::RenewMany(std::string_view fleet,
                                                              const std::vector<ShardToken>& leases,
                                                              std::string_view holder, Millis ttl) {
  if (auto s = CheckCommon(fleet, holder); !s.ok()) return s.error();
  if (auto s = ValidateTtl(ttl); !s.ok()) return s.error();
  const std::vector<uint32_t> shards = ShardsOf(leases);
  if (auto s = ValidateDistinct(shards); !s.ok()) return s.error();
  if (leases.empty()) return std::vector<Result<Lease>>{};
  auto reply = Run(RenewScript(), fleet,
                   ShardTokenArgs({std::string(holder), std::to_string(ttl.count())}, leases));
  if (!reply.ok()) return reply.error();
  auto outcomes = DecodeOutcomes(*reply, shards, "renew");
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Result<Lease>> out;
  for (size_t i = 0; i < leases.size(); ++i) {
    out.push_back(ToLease(Op::kRenew, fleet, holder, leases[i].token, (*outcomes)[i]));
  }
  return out;
}

Result<std::vector<Status>> RedisLeaseStore::ReleaseMany(std::string_view fleet,
                                                         const std::vector<ShardToken>& leases,
                                                         std::string_view holder) {
  if (auto s = CheckCommon(fleet, holder); !s.ok()) return s.error();
  const std::vector<uint32_t> shards = ShardsOf(leases);
  if (auto s = ValidateDistinct(shards); !s.ok()) return s.error();
  if (leases.empty()) return std::vector<Status>{};
  auto reply = Run(ReleaseScript(), fleet, ShardTokenArgs({std::string(holder)}, leases));
  if (!reply.ok()) return reply.error();
  auto outcomes = DecodeOutcomes(*reply, shards, "release");
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Status> out;
  for (size_t i = 0; i < leases.size(); ++i) {
    auto r = ToLease(Op::kRelease, fleet, holder, leases[i].token, (*outcomes)[i]);
    out.push_back(r.ok() ? Status(Ok{}) : Status(r.error()));
  }
  return out;
}

Result<std::vector<Status>> RedisLeaseStore::RevokeMany(std::string_view fleet,
                                                        const std::vector<ShardToken>& leases) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  const std::vector<uint32_t> shards = ShardsOf(leases);
  if (auto s = ValidateDistinct(shards); !s.ok()) return s.error();
  if (leases.empty()) return std::vector<Status>{};
  auto reply = Run(RevokeScript(), fleet, ShardTokenArgs({}, leases));
  if (!reply.ok()) return reply.error();
  auto outcomes = DecodeOutcomes(*reply, shards, "revoke");
  if (!outcomes.ok()) return outcomes.error();
  std::vector<Status> out;
  for (size_t i = 0; i < leases.size(); ++i) {
    out.push_back(ToRevoked(fleet, leases[i].token, (*outcomes)[i]));
  }
  return out;
}

Result<LeaseSnapshot> RedisLeaseStore::Snapshot(std::string_view fleet) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  Result<std::vector<redis::Reply>> replies = std::vector<redis::Reply>{};
  {
    std::lock_guard lock(mu_);
    replies = client_->Pipeline({{"MULTI"}, {"TIME"}, {"HGETALL", Key(fleet)}, {"EXEC"}});
  }
  if (!replies.ok()) return replies.error();
  const redis::Reply& exec = replies->back();
  if (exec.IsError()) return redis::ErrorFromReply(exec, "lease snapshot");
  if (!exec.IsArray() || exec.elements.size() != 2 || !exec.elements[0].IsArray() ||
      exec.elements[0].elements.size() != 2 || !exec.elements[1].IsArray()) {
    return Unexpected("snapshot");
  }
  auto secs = exec.elements[0].elements[0].AsInteger();
  auto micros = exec.elements[0].elements[1].AsInteger();
  if (!secs.ok() || !micros.ok()) return Unexpected("snapshot TIME");
  LeaseSnapshot snap;
  snap.now_ms = *secs * 1000 + *micros / 1000;
  const auto& kv = exec.elements[1].elements;
  snap.records.reserve(kv.size() / 2);
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    auto r = ParseRecord(kv[i].str, kv[i + 1].str);
    if (!r) return Unexpected("snapshot: a malformed record in " + Key(fleet));
    snap.records.push_back(std::move(*r));
  }
  std::sort(snap.records.begin(), snap.records.end(),
            [](const LeaseRecord& a, const LeaseRecord& b) { return a.shard < b.shard; });
  return snap;
}

Status RedisLeaseStore::DeleteFleet(std::string_view fleet) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto r = client_->Command({"DEL", Key(fleet), AssignmentKey(fleet)});
  if (!r.ok()) return r.error();
  return Ok{};
}

Result<std::vector<bool>> RedisLeaseStore::PublishAssignments(
    std::string_view fleet, const std::vector<PublishedAssignment>& assignments) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  if (auto s = ValidateAssignments(assignments); !s.ok()) return s.error();
  if (assignments.empty()) return std::vector<bool>{};
  std::vector<std::string> args;
  for (const auto& a : assignments) {
    args.push_back(a.pod);
    args.push_back(std::to_string(a.generation));
    args.push_back(a.shards);
  }
  auto reply = RunOnAssignments(PublishScript(), fleet, std::move(args));
  if (!reply.ok()) return reply.error();
  if (!reply->IsArray() || reply->elements.size() != assignments.size()) {
    return Unexpected("publish assignments");
  }
  std::vector<bool> out;
  for (const auto& e : reply->elements) {
    auto written = e.AsInteger();
    if (!written.ok()) return Unexpected("publish assignments");
    out.push_back(*written == 1);
  }
  return out;
}

Status RedisLeaseStore::RemoveAssignments(std::string_view fleet,
                                          const std::vector<PodGeneration>& pods) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s;
  if (auto s = ValidatePodGenerations(pods); !s.ok()) return s;
  if (pods.empty()) return Ok{};
  std::vector<std::string> args;
  for (const auto& p : pods) {
    args.push_back(p.pod);
    args.push_back(std::to_string(p.generation));
  }
  auto reply = RunOnAssignments(RemoveAssignmentsScript(), fleet, std::move(args));
  if (!reply.ok()) return reply.error();
  return Ok{};
}

Result<std::vector<PublishedAssignment>> RedisLeaseStore::ListAssignments(std::string_view fleet) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  Result<redis::Reply> reply = redis::Reply{};
  {
    std::lock_guard lock(mu_);
    reply = client_->Command({"HGETALL", AssignmentKey(fleet)});
  }
  if (!reply.ok()) return reply.error();
  if (!reply->IsArray()) return Unexpected("list assignments");
  std::vector<PublishedAssignment> out;
  const auto& kv = reply->elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    auto decoded = DecodeAssignment(kv[i + 1].str);
    out.push_back(decoded ? PublishedAssignment{kv[i].str, decoded->first, decoded->second}
                          : PublishedAssignment{kv[i].str, 0, ""});
  }
  std::sort(out.begin(), out.end(), [](const PublishedAssignment& a, const PublishedAssignment& b) {
    return a.pod < b.pod;
  });
  return out;
}

Result<std::optional<PublishedAssignment>> RedisLeaseStore::ReadAssignment(std::string_view fleet,
                                                                           std::string_view pod) {
  if (auto s = ValidateFleet(fleet); !s.ok()) return s.error();
  if (auto s = ValidatePod(pod); !s.ok()) return s.error();
  Result<redis::Reply> reply = redis::Reply{};
  {
    std::lock_guard lock(mu_);
    reply = client_->Command({"HGET", AssignmentKey(fleet), std::string(pod)});
  }
  if (!reply.ok()) return reply.error();
  if (reply->IsNil()) return std::optional<PublishedAssignment>{};
  auto decoded = DecodeAssignment(reply->str);
  if (!decoded) {
    return MakeError(ErrorCode::kInternal, "redis lease store: the published assignment of pod " +
                                               std::string(pod) + " is malformed");
  }
  return std::optional<PublishedAssignment>{
      PublishedAssignment{std::string(pod), decoded->first, decoded->second}};
}

}  // namespace agentfleet::sources::lease
