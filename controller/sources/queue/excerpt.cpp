#include "controller/sources/queue/excerpt.h"

namespace agentfleet::sources::queue {

std::string Excerpt(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace agentfleet::sources::queue
