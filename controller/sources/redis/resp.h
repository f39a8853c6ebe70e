#pragma once

// RESP2, the Redis wire protocol: encoding commands and parsing replies
// incrementally. Pure code, no I/O, so it is tested byte by byte.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::sources::redis {

// One reply from the server. A value type: easy to copy, compare and print.
struct Reply {
  enum class Type { kNil, kStatus, kError, kInteger, kBulk, kArray };

  Type type = Type::kNil;
  std::string str;  // kStatus, kError, kBulk
  int64_t integer = 0;
  std::vector<Reply> elements;  // kArray

  static Reply Nil() { return {}; }
  static Reply Status(std::string s) { return {Type::kStatus, std::move(s), 0, {}}; }
  static Reply ErrorReply(std::string s) { return {Type::kError, std::move(s), 0, {}}; }
  static Reply Integer(int64_t v) { return {Type::kInteger, {}, v, {}}; }
  static Reply Bulk(std::string s) { return {Type::kBulk, std::move(s), 0, {}}; }
  static Reply Array(std::vector<Reply> e) { return {Type::kArray, {}, 0, std::move(e)}; }

  bool IsNil() const { return type == Type::kNil; }
  bool IsError() const { return type == Type::kError; }
  bool IsArray() const { return type == Type::kArray; }
  // A status or bulk string (the two are interchangeable for most commands).
  bool IsString() const { return type == Type::kStatus || type == Type::kBulk; }

  // Typed accessors that say what they found instead of asserting.
  Result<int64_t> AsInteger() const;  // an integer, or a bulk holding a decimal
  Result<std::string> AsString() const;

  // A short human-readable rendering for test failures and logs; long strings
  // and arrays are elided. Never used on values that may carry credentials.
  std::string DebugString() const;

  bool operator==(const Reply&) const = default;
};

// Encodes one command as a RESP array of bulk strings (binary-safe).
std::string EncodeCommand(const std::vector<std::string>& args);
void AppendCommand(std::string& out, const std::vector<std::string>& args);

// What one reply may cost. The server is chosen by a fleet's author, and a
// reply is held whole in memory: past either budget the parser stops with
// kResourceExhausted instead of growing. The defaults hold a lease snapshot
// of 500,000 shards or a queue depth of every shard many times over.
struct RespLimits {
  size_t max_reply_bytes = 64u << 20;      // bytes on the wire of one reply
  int64_t max_reply_elements = 1LL << 20;  // elements of one reply, nested ones included
};

// Parses replies from a byte stream fed in arbitrary chunks. Keeps partial
// arrays between feeds, so a huge reply arriving in many reads costs linear
// time. A protocol violation or a reply over its budget is sticky: the
// connection must be dropped.
class RespParser {
 public:
  explicit RespParser(RespLimits limits = {}) : limits_(limits) {}
  void Feed(std::string_view bytes);
  // The next complete reply, nullopt if more bytes are needed, or an Error:
  // kInternal if the stream is not valid RESP2, kResourceExhausted if the
  // reply goes past its budget.
  Result<std::optional<Reply>> Next();
  // Bytes received but not yet consumed by a complete reply.
  size_t Buffered() const { return buf_.size() - pos_; }

  static constexpr int64_t kMaxBulkLength = 512LL * 1024 * 1024;  // RESP2's own limit
  static constexpr size_t kMaxDepth = 64;

 private:
  struct Frame {
    Reply array;
    int64_t remaining;
  };
  // Parses one element at pos_: a scalar, or an array header that opens a
  // frame. Returns false when more bytes are needed (nothing consumed).
  Result<bool> ParseElement(std::optional<Reply>& scalar);
  // kResourceExhausted once the current reply would hold more than the budget.
  std::optional<Error> OverBudget(int64_t more_elements, size_t more_bytes) const;

  RespLimits limits_;
  size_t reply_bytes_ = 0;      // consumed by the reply in progress
  int64_t reply_elements_ = 0;  // parsed or announced for the reply in progress

  std::string buf_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
  std::optional<Error> failed_;
};

}  // namespace agentfleet::sources::redis
