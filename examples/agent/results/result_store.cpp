#include "examples/agent/results/result_store.h"

#include <algorithm>

#include "controller/sources/lease/lease_store.h"

namespace agentfleet::agent::results {

Status ValidateFence(std::string_view fleet, int64_t token) {
  if (auto s = sources::lease::ValidateFleet(fleet); !s.ok()) return s;
  if (token < 1) return MakeError(ErrorCode::kInvalidArgument, "fencing token must be positive");
  return Ok{};
}

Status ValidateWrite(std::string_view fleet, int64_t token, const std::vector<PriceWrite>& prices) {
  if (auto s = ValidateFence(fleet, token); !s.ok()) return s;
  if (prices.empty()) return MakeError(ErrorCode::kInvalidArgument, "no prices to write");
  std::vector<std::string_view> products;
  for (const auto& p : prices) {
    if (p.product.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty product id");
    if (!ValidTaskVersion(p.version)) {
      return MakeError(ErrorCode::kInvalidArgument, "product " + p.product + ": task version " +
                                                        FormatTaskVersion(p.version) +
                                                        " has a negative part");
    }
    products.push_back(p.product);
  }
  std::sort(products.begin(), products.end());
  if (auto d = std::adjacent_find(products.begin(), products.end()); d != products.end()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "product " + std::string(*d) + " appears twice in one write");
  }
  return Ok{};
}

}  // namespace agentfleet::agent::results
