#include "controller/base/redact.h"

#include <algorithm>

namespace agentfleet {
namespace {

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Whether the byte at `i` ends a short secret's occurrence: outside the text,
// not part of a word, or already hidden.
bool IsEdge(std::string_view text, const std::vector<bool>& hidden, std::ptrdiff_t i) {
  if (i < 0 || static_cast<std::size_t>(i) >= text.size()) return true;
  const auto at = static_cast<std::size_t>(i);
  return hidden[at] || !IsWordByte(text[at]);
}

void Hide(std::string_view text, std::string_view secret, std::vector<bool>& hidden) {
  const bool anywhere = secret.size() >= kShortSecret;
  for (auto pos = text.find(secret); pos != std::string_view::npos;
       pos = text.find(secret, pos + 1)) {
    const auto begin = static_cast<std::ptrdiff_t>(pos);
    const auto end = begin + static_cast<std::ptrdiff_t>(secret.size());
    if (!anywhere && !(IsEdge(text, hidden, begin - 1) && IsEdge(text, hidden, end))) continue;
    std::fill(hidden.begin() + begin, hidden.begin() + end, true);
  }
}

}  // namespace

Redactor::Redactor(std::vector<std::string> secrets) {
  for (auto& s : secrets) Add(std::move(s));
}

void Redactor::Add(std::string secret) {
  if (secret.empty()) return;
  secrets_.push_back(std::move(secret));
  // Longer secrets are marked first, so a short one beside them sees an edge.
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Redact(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  std::vector<bool> hidden(text.size(), false);
  for (const auto& s : secrets_) Hide(text, s, hidden);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!hidden[i]) {
      out.push_back(text[i]);
    } else if (i == 0 || !hidden[i - 1]) {
      out += kRedacted;
    }
  }
  return out;
}

Error Redactor::Redact(Error error) const {
  error.message = Redact(error.message);
  error.reason = Redact(error.reason);
  return error;
}

}  // namespace agentfleet
