#include "tests/integration/agent/result_sample.h"

#include <charconv>
#include <optional>
#include <string_view>

namespace agentfleet::agent::testing {
namespace {

std::optional<int64_t> ToInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<ResultSample> ReadResults(sources::redis::Client& c, const std::string& base) {
  auto r =
      c.Pipeline({{"MULTI"}, {"HGETALL", base + "fence"}, {"HGETALL", base + "prices"}, {"EXEC"}});
  if (!r.ok()) return r.error();
  const auto& exec = r->back();
  if (!exec.IsArray() || exec.elements.size() != 2) {
    return MakeError(ErrorCode::kInternal, "unexpected EXEC reply");
  }
  ResultSample s;
  const auto& fence = exec.elements[0].elements;
  for (size_t i = 0; i + 1 < fence.size(); i += 2) {
    s.marks[static_cast<uint32_t>(*ToInt(fence[i].str))] = *ToInt(fence[i + 1].str);
  }
  const auto& prices = exec.elements[1].elements;
  for (size_t i = 0; i + 1 < prices.size(); i += 2) {
    // "<token> <shard> <price> <task version>"; without a version (as stored
    // before versions existed) it reads as the oldest, (0, 0).
    std::string_view v = prices[i + 1].str;
    size_t a = v.find(' '), b = v.find(' ', a + 1), c = v.find(' ', b + 1);
    auto token = ToInt(v.substr(0, a));
    auto shard = ToInt(v.substr(a + 1, b - a - 1));
    auto price = ToInt(v.substr(b + 1, c == std::string_view::npos ? c : c - b - 1));
    auto version = c == std::string_view::npos ? std::optional(results::TaskVersion{})
                                               : results::ParseTaskVersion(v.substr(c + 1));
    if (b == std::string_view::npos || !token || !shard || !price || !version) {
      return MakeError(ErrorCode::kInternal, "unexpected stored result " + std::string(v));
    }
    s.results[prices[i].str] =
        StoredResult{*token, static_cast<uint32_t>(*shard), *price, *version};
  }
  return s;
}

}  // namespace agentfleet::agent::testing
