#include "controller/sources/queue/redact.h"

#include <algorithm>

namespace agentfleet::sources::queue {

Redactor::Redactor(std::vector<std::string> secrets) {
  for (auto& s : secrets) Add(std::move(s));
}

void Redactor::Add(std::string secret) {
  // Very short strings would blank out ordinary words; they are not secrets
  // worth the name and stay as they are.
  if (secret.size() < 4) return;
  secrets_.push_back(std::move(secret));
  // Longest first, so that a secret containing another is removed whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Redact(std::string text) const {
  for (const auto& s : secrets_) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos)) {
      text.replace(pos, s.size(), "[redacted]");
      pos += 10;
    }
  }
  return text;
}

Error Redactor::Redact(Error error) const {
  error.message = Redact(std::move(error.message));
  return error;
}

std::string Excerpt(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace agentfleet::sources::queue
