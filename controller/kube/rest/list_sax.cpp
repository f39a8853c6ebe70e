#include "controller/kube/rest/list_sax.h"

#include <algorithm>
#include <streambuf>
#include <vector>

namespace agentfleet::kube::rest {
namespace {

using Json = nlohmann::json;

// Passes on another streambuf's bytes, but at most `budget` of them after the
// last Mark(); then ends as if at EOF, with exhausted() set. Reads in small
// chunks so that it never takes much more than it passes on.
class BudgetStreambuf : public std::streambuf {
 public:
  BudgetStreambuf(std::streambuf* source, size_t budget) : source_(source), budget_(budget) {}

  void Mark() { mark_ = Position(); }
  bool exhausted() const { return exhausted_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const size_t used = Position() - mark_;
    if (used >= budget_) {
      exhausted_ = true;
      return traits_type::eof();
    }
    const auto want = static_cast<std::streamsize>(std::min(buf_.size(), budget_ - used));
    consumed_ += static_cast<size_t>(egptr() - eback());
    const std::streamsize n = source_->sgetn(buf_.data(), want);
    if (n <= 0) {
      setg(nullptr, nullptr, nullptr);
      return traits_type::eof();
    }
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  size_t Position() const { return consumed_ + static_cast<size_t>(gptr() - eback()); }

  std::streambuf* source_;
  size_t budget_;
  std::vector<char> buf_ = std::vector<char>(16 * 1024);
  size_t consumed_ = 0;  // bytes of earlier chunks
  size_t mark_ = 0;
  bool exhausted_ = false;
};

class ListSax : public nlohmann::json_sax<Json> {
 public:
  ListSax(const std::function<void(Json&&)>& on_item, BudgetStreambuf& budget)
      : on_item_(on_item), budget_(budget) {}

  bool null() override { return Value(Json(nullptr)); }
  bool boolean(bool v) override { return Value(Json(v)); }
  bool number_integer(number_integer_t v) override { return Value(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Value(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Value(Json(v)); }
  bool string(string_t& v) override {
    if (stack_.empty() && depth_ == 2 && in_meta_) {
      if (key_ == "resourceVersion") meta_.resource_version = v;
      if (key_ == "continue") meta_.continue_token = v;
    }
    return Value(Json(std::move(v)));
  }
  bool binary(binary_t&) override { return true; }

  bool start_object(std::size_t) override {
    ++depth_;
    if (!stack_.empty()) {
      stack_.push_back(Insert(Json::object()));
    } else if (in_items_ && depth_ == 3) {
      budget_.Mark();
      item_ = Json::object();
      stack_.push_back(&item_);
    } else if (depth_ == 2 && key_ == "metadata") {
      in_meta_ = true;
    }
    return true;
  }
  bool end_object() override {
    --depth_;
    if (!stack_.empty()) {
      stack_.pop_back();
      if (stack_.empty()) {
        ++meta_.items;
        on_item_(std::move(item_));
        item_ = Json();
        budget_.Mark();
      }
    } else if (depth_ == 1) {
      in_meta_ = false;
    }
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (!stack_.empty()) {
      stack_.push_back(Insert(Json::array()));
    } else if (depth_ == 2 && key_ == "items") {
      in_items_ = true;
    }
    return true;
  }
  bool end_array() override {
    --depth_;
    if (!stack_.empty()) {
      stack_.pop_back();
    } else if (depth_ == 1) {
      in_items_ = false;
    }
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t pos, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_ = "malformed list at byte " + std::to_string(pos) + ": " + e.what();
    return false;
  }

  const ListMeta& meta() const { return meta_; }
  const std::string& error() const { return error_; }

 private:
  // Adds a value to the innermost open container; returns where it went.
  Json* Insert(Json v) {
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    Json& slot = top[key_];
    slot = std::move(v);
    return &slot;
  }
  bool Value(Json v) {
    if (!stack_.empty()) Insert(std::move(v));
    return true;
  }

  const std::function<void(Json&&)>& on_item_;
  BudgetStreambuf& budget_;
  std::vector<Json*> stack_;  // open containers of the item being built
  Json item_;
  std::string key_;
  int depth_ = 0;
  bool in_items_ = false;
  bool in_meta_ = false;
  ListMeta meta_;
  std::string error_;
};

}  // namespace

Result<ListMeta> ParseListStream(std::istream& in, const std::function<void(Json&&)>& on_item,
                                 size_t budget) {
  BudgetStreambuf bounded(in.rdbuf(), budget);
  std::istream limited(&bounded);
  ListSax sax(on_item, bounded);
  bool ok = Json::sax_parse(limited, &sax, nlohmann::json::input_format_t::json, false);
  if (bounded.exhausted()) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "list item (or the list around its items) of more than " +
                         std::to_string(budget) + " bytes refused");
  }
  if (!ok) {
    return MakeError(ErrorCode::kInternal, sax.error().empty() ? "malformed list" : sax.error());
  }
  return sax.meta();
}

}  // namespace agentfleet::kube::rest
