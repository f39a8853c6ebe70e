#include "controller/obs/redact.h"

#include <algorithm>
#include <vector>

namespace agentfleet::obs {

std::string Redact(std::string_view text, std::span<const std::string> secrets) {
  std::vector<std::string_view> order;
  for (const auto& s : secrets) {
    if (!s.empty()) order.emplace_back(s);
  }
  std::sort(order.begin(), order.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  std::string out(text);
  for (auto secret : order) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return out;
}

}  // namespace agentfleet::obs
