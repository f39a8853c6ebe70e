#include "examples/agent/go_quote.h"

#include <cstdint>

namespace agentfleet::agent {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

Error Bad(std::string what) {
  return MakeError(ErrorCode::kInvalidArgument, "malformed Go string literal: " + what);
}

}  // namespace

Result<std::string> GoUnquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"') return Bad("it does not start with a double quote");
  std::string out;
  size_t i = 1;
  while (true) {
    if (i >= s.size()) return Bad("the closing quote is missing");
    char c = s[i];
    if (c == '"') break;
    if (c == '\n') return Bad("raw newline inside the quotes");
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return Bad("backslash at the end");
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out += '\a';
        continue;
      case 'b':
        out += '\b';
        continue;
      case 'f':
        out += '\f';
        continue;
      case 'n':
        out += '\n';
        continue;
      case 'r':
        out += '\r';
        continue;
      case 't':
        out += '\t';
        continue;
      case 'v':
        out += '\v';
        continue;
      case '\\':
        out += '\\';
        continue;
      case '"':
        out += '"';
        continue;
      default:
        break;
    }
    if (e >= '0' && e <= '7') {
      if (i + 2 > s.size()) return Bad("short octal escape");
      int v = e - '0';
      for (int k = 0; k < 2; ++k) {
        char d = s[i + k];
        if (d < '0' || d > '7') return Bad("short octal escape");
        v = v * 8 + (d - '0');
      }
      if (v > 255) return Bad("octal escape above \\377");
      out += static_cast<char>(v);
      i += 2;
      continue;
    }
    int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (digits == 0) return Bad(std::string("unknown escape \\") + e);
    if (i + digits > s.size()) return Bad(std::string("short \\") + e + " escape");
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k) {
      int h = HexValue(s[i + k]);
      if (h < 0) return Bad(std::string("short \\") + e + " escape");
      v = v * 16 + static_cast<uint32_t>(h);
    }
    i += digits;
    if (e == 'x') {
      out += static_cast<char>(v);  // a raw byte, as Go allows
    } else {
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return Bad("escape names an invalid code point");
      }
      AppendUtf8(out, v);
    }
  }
  if (i + 1 != s.size()) return Bad("bytes after the closing quote");
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          static const char* kHex = "0123456789abcdef";
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace agentfleet::agent
