#include "controller/sources/redis/resp.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace agentfleet::sources::redis {
namespace {

std::string_view TypeName(Reply::Type t) {
  switch (t) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kBulk:
      return "bulk string";
    case Reply::Type::kArray:
      return "array";
  }
  return "unknown";
}

std::optional<int64_t> ParseDecimal(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Result<int64_t> Reply::AsInteger() const {
  if (type == Type::kInteger) return integer;
  if (type == Type::kBulk || type == Type::kStatus) {
    if (auto v = ParseDecimal(str)) return *v;
    return MakeError(ErrorCode::kInternal, "redis reply is not a decimal integer");
  }
  if (type == Type::kError) return MakeError(ErrorCode::kInternal, "redis error: " + str);
  return MakeError(ErrorCode::kInternal,
                   "expected an integer reply, got " + std::string(TypeName(type)));
}

Result<std::string> Reply::AsString() const {
  if (IsString()) return str;
  if (type == Type::kError) return MakeError(ErrorCode::kInternal, "redis error: " + str);
  return MakeError(ErrorCode::kInternal,
                   "expected a string reply, got " + std::string(TypeName(type)));
}

std::string Reply::DebugString() const {
  constexpr size_t kMaxString = 64;
  constexpr size_t kMaxElements = 8;
  auto clip = [](const std::string& s) {
    return s.size() <= kMaxString ? s : s.substr(0, kMaxString) + "...";
  };
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kStatus:
      return clip(str);
    case Type::kError:
      return "(error) " + clip(str);
    case Type::kInteger:
      return "(integer) " + std::to_string(integer);
    case Type::kBulk:
      return "\"" + clip(str) + "\"";
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size() && i < kMaxElements; ++i) {
        if (i) out += ", ";
        out += elements[i].DebugString();
      }
      if (elements.size() > kMaxElements) {
        out += ", ... (" + std::to_string(elements.size()) + " elements)";
      }
      return out + "]";
    }
  }
  return "?";
}

void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const auto& a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out;
  AppendCommand(out, args);
  return out;
}

void RespParser::Feed(std::string_view bytes) {
  // Drop consumed bytes once they dominate, keeping appends amortised O(1).
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

Result<bool> RespParser::ParseElement(std::optional<Reply>& scalar) {
  // A line is short; a long one is garbage, whether its CRLF has come yet or
  // not (refusing only the incomplete ones would make the verdict depend on
  // where a read ends).
  constexpr size_t kMaxLine = 64 * 1024;
  const size_t eol = buf_.find("\r\n", pos_);
  if ((eol == std::string::npos ? buf_.size() : eol) - pos_ > kMaxLine) {
    return MakeError(ErrorCode::kInternal, "redis protocol error: line longer than 64 KiB");
  }
  if (eol == std::string::npos) return false;
  const char kind = buf_[pos_];
  const std::string_view line(buf_.data() + pos_ + 1, eol - pos_ - 1);
  const size_t after = eol + 2;
  auto length = [&](int64_t max) -> Result<int64_t> {
    auto v = ParseDecimal(line);
    if (!v || *v < -1 || *v > max) {
      return MakeError(ErrorCode::kInternal,
                       std::string("redis protocol error: bad length after '") + kind + "'");
    }
    return *v;
  };
  switch (kind) {
    case '+':
      scalar = Reply::Status(std::string(line));
      pos_ = after;
      return true;
    case '-':
      scalar = Reply::ErrorReply(std::string(line));
      pos_ = after;
      return true;
    case ':': {
      auto v = ParseDecimal(line);
      if (!v) return MakeError(ErrorCode::kInternal, "redis protocol error: bad integer");
      scalar = Reply::Integer(*v);
      pos_ = after;
      return true;
    }
    case '$': {
      // Past 512 MB RESP itself is broken; below that, the budget decides.
      auto n = length(kMaxBulkLength);
      if (!n.ok()) return n.error();
      if (*n > 0) {  // refused before its body is buffered: the length line, the body, CRLF
        if (auto e = OverBudget(0, after - pos_ + static_cast<size_t>(*n) + 2)) return *e;
      }
      if (*n == -1) {
        scalar = Reply::Nil();
        pos_ = after;
        return true;
      }
      const size_t need = after + static_cast<size_t>(*n) + 2;
      if (buf_.size() < need) return false;
      if (buf_.compare(need - 2, 2, "\r\n") != 0) {
        return MakeError(ErrorCode::kInternal, "redis protocol error: bulk string not terminated");
      }
      scalar = Reply::Bulk(buf_.substr(after, static_cast<size_t>(*n)));
      pos_ = need;
      return true;
    }
    case '*': {
      auto n = length(std::numeric_limits<int64_t>::max());
      if (!n.ok()) return n.error();
      if (*n > 0) {
        if (auto e = OverBudget(*n, 0)) return *e;
        reply_elements_ += *n;
      }
      pos_ = after;
      if (*n == -1) {
        scalar = Reply::Nil();
      } else if (*n == 0) {
        scalar = Reply::Array({});
      } else {
        if (stack_.size() >= kMaxDepth) {
          return MakeError(ErrorCode::kInternal, "redis protocol error: arrays nested too deep");
        }
        Frame f{Reply::Array({}), *n};
        // Reserve modestly: the count comes from the wire and may be hostile.
        f.array.elements.reserve(static_cast<size_t>(std::min<int64_t>(*n, 1 << 16)));
        stack_.push_back(std::move(f));
      }
      return true;
    }
    default:
      return MakeError(ErrorCode::kInternal, "redis protocol error: unexpected type byte " +
                                                 std::to_string(static_cast<unsigned char>(kind)));
  }
}

std::optional<Error> RespParser::OverBudget(int64_t more_elements, size_t more_bytes) const {
  if (more_elements > limits_.max_reply_elements - reply_elements_) {
    return MakeError(ErrorCode::kResourceExhausted, "redis reply of more than " +
                                                        std::to_string(limits_.max_reply_elements) +
                                                        " elements refused");
  }
  if (more_bytes > limits_.max_reply_bytes - std::min(reply_bytes_, limits_.max_reply_bytes)) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "redis reply larger than " + std::to_string(limits_.max_reply_bytes >> 20) +
                         " MiB refused");
  }
  return std::nullopt;
}

Result<std::optional<Reply>> RespParser::Next() {
  if (failed_) return *failed_;
  while (pos_ < buf_.size()) {
    std::optional<Reply> value;
    const size_t before = pos_;
    auto parsed = ParseElement(value);
    if (parsed.ok() && *parsed) {
      // Elements are counted where an array's header announces them; bytes
      // as they are consumed, every kind of element alike.
      if (auto e = OverBudget(0, pos_ - before)) parsed = *e;
      reply_bytes_ += pos_ - before;
    } else if (parsed.ok()) {
      // Waiting for more bytes: what is buffered belongs to this reply.
      if (auto e = OverBudget(0, buf_.size() - pos_)) parsed = *e;
    }
    if (!parsed.ok()) {
      failed_ = parsed.error();
      return *failed_;
    }
    if (!*parsed) return std::optional<Reply>();
    if (!value) continue;  // an array opened; its elements follow
    // Fold the finished value into the open arrays, closing those now full.
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      top.array.elements.push_back(std::move(*value));
      if (--top.remaining > 0) break;
      value = std::move(top.array);
      stack_.pop_back();
    }
    if (stack_.empty() && value) {
      reply_bytes_ = 0;
      reply_elements_ = 0;
      return value;
    }
  }
  return std::optional<Reply>();
}

}  // namespace agentfleet::sources::redis
