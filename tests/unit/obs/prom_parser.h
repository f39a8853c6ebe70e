#pragma once

// A strict little parser of the Prometheus text format 0.0.4, written
// independently of the renderer so that tests check the output, not the code.

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentfleet::obs::testing {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> help;  // unescaped
  std::map<std::string, std::string> type;
  std::vector<Sample> samples;

  std::optional<double> Value(std::string_view name,
                              const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
};

inline double ParseNumber(std::string_view v, std::string& error) {
  if (v == "+Inf") return HUGE_VAL;
  if (v == "-Inf") return -HUGE_VAL;
  if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
  std::string s(v);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) error = "bad number: " + s;
  return d;
}

// Returns nullopt and sets `error` on any malformed line.
inline std::optional<Exposition> Parse(std::string_view text, std::string& error) {
  Exposition out;
  if (!text.empty() && !text.ends_with('\n')) {
    error = "output must end with a newline";
    return std::nullopt;
  }
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      bool help = line[2] == 'H';
      line.remove_prefix(7);
      auto sp = line.find(' ');
      if (sp == std::string_view::npos) {
        error = "comment without text";
        return std::nullopt;
      }
      std::string name(line.substr(0, sp));
      std::string_view rest = line.substr(sp + 1);
      if (help) {
        std::string h;
        for (std::size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] == '\\' && i + 1 < rest.size()) {
            char n = rest[++i];
            h += n == 'n' ? '\n' : n;
          } else {
            h += rest[i];
          }
        }
        out.help[name] = h;
      } else {
        out.type[name] = std::string(rest);
      }
      continue;
    }
    if (line.empty() || line[0] == '#') {
      error = "unexpected line: " + std::string(line);
      return std::nullopt;
    }
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = std::string(line.substr(0, i));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          error = "bad label in: " + std::string(line);
          return std::nullopt;
        }
        std::string key(line.substr(i, eq - i));
        std::string value;
        i = eq + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            if (++i >= line.size()) break;
            char n = line[i];
            if (n == 'n') {
              value += '\n';
            } else if (n == '\\' || n == '"') {
              value += n;
            } else {
              error = "bad escape in: " + std::string(line);
              return std::nullopt;
            }
          } else if (line[i] == '\n') {
            error = "raw newline in label value";
            return std::nullopt;
          } else {
            value += line[i];
          }
        }
        if (i >= line.size()) {
          error = "unterminated label value in: " + std::string(line);
          return std::nullopt;
        }
        ++i;  // closing quote
        if (s.labels.count(key)) {
          error = "duplicate label " + key;
          return std::nullopt;
        }
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) {
        error = "unterminated label set in: " + std::string(line);
        return std::nullopt;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      error = "no value in: " + std::string(line);
      return std::nullopt;
    }
    s.value = ParseNumber(line.substr(i + 1), error);
    if (!error.empty()) return std::nullopt;
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace agentfleet::obs::testing
