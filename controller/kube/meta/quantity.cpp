#include "controller/kube/meta/quantity.h"

#include <cctype>
#include <cmath>
#include <string>

namespace agentfleet::kube::meta {
namespace {

Error Invalid(std::string_view text, const char* why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "\"" + std::string(text.substr(0, 64)) + "\" is not a quantity: " + why);
}

// The quantity times 10^scale10, exactly enough for any value that fits an
// int64 after rounding: a long double holds 64 bits of mantissa.
Result<long double> Scaled(std::string_view text, int scale10) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  long double number = 0;
  int fraction_digits = 0, digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      number = number * 10 + (c - '0');
      fraction_digits += point ? 1 : 0;
      ++digits;
    } else {
      break;
    }
  }
  if (digits == 0) return Invalid(text, "no digits");
  const std::string_view suffix = text.substr(i);
  int exp10 = scale10 - fraction_digits;
  long double factor = 1;
  static constexpr struct {
    std::string_view name;
    int exp10;
    int exp2;
  } kSuffixes[] = {{"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},
                   {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
                   {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
                   {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
  bool known = false;
  for (const auto& s : kSuffixes) {
    if (suffix == s.name) {
      exp10 += s.exp10;
      factor = std::ldexp(1.0L, s.exp2);
      known = true;
      break;
    }
  }
  if (!known) {
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) {
      return Invalid(text, "unknown suffix");
    }
    int e = 0;
    size_t j = 1;
    const bool e_negative = suffix[j] == '-';
    if (suffix[j] == '+' || suffix[j] == '-') ++j;
    if (j == suffix.size()) return Invalid(text, "no exponent digits");
    for (; j < suffix.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(suffix[j])) || e > 1000) {
        return Invalid(text, "bad exponent");
      }
      e = e * 10 + (suffix[j] - '0');
    }
    exp10 += e_negative ? -e : e;
  }
  if (exp10 > 40) return Invalid(text, "too large");
  long double value = number * factor;
  value = exp10 >= 0 ? value * std::pow(10.0L, exp10) : value / std::pow(10.0L, -exp10);
  return negative ? -value : value;
}

Result<int64_t> RoundedUp(std::string_view text, int scale10) {
  auto v = Scaled(text, scale10);
  if (!v) return v.error();
  // Exact for integers: their products and exact quotients by powers of ten
  // are exact in a long double, so a whole number never rounds up by one.
  const long double up = std::ceil(*v);
  if (up > static_cast<long double>(INT64_MAX) || up < static_cast<long double>(INT64_MIN)) {
    return Invalid(text, "too large");
  }
  return static_cast<int64_t>(up);
}

}  // namespace

Result<int64_t> ParseMilliQuantity(std::string_view text) {
  return RoundedUp(text, 3);
}

Result<int64_t> ParseQuantity(std::string_view text) {
  return RoundedUp(text, 0);
}

}  // namespace agentfleet::kube::meta
