#include "controller/kube/meta/time.h"

#include <chrono>
#include <cstdio>

namespace agentfleet::kube::meta {
namespace {

using namespace std::chrono;

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

Error Invalid() {
  return MakeError(ErrorCode::kInvalidArgument, "not an RFC 3339 time (want YYYY-MM-DDTHH:MM:SSZ)");
}

std::string Format(Clock::Wall t, bool micros) {
  auto secs = floor<seconds>(t);
  auto day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  char buf[40];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                    static_cast<int>(hms.seconds().count()));
  if (micros) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%06lld",
                       static_cast<long long>(duration_cast<microseconds>(t - secs).count()));
  }
  return std::string(buf, n) + 'Z';
}

}  // namespace

Clock::Wall TruncateToSeconds(Clock::Wall t) {
  return time_point_cast<Clock::Wall::duration>(floor<seconds>(t));
}

std::string FormatTime(Clock::Wall t) {
  return Format(t, false);
}

std::string FormatMicroTime(Clock::Wall t) {
  return Format(t, true);
}

Result<Clock::Wall> ParseTime(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) ||
      s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, se)) {
    return Invalid();
  }
  size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return Invalid();
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return Invalid();
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return Invalid();
  }
  if (pos != s.size()) return Invalid();
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return Invalid();
  auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} - minutes{offset_minutes};
  // The clock counts nanoseconds in 64 bits (years 1677 to 2262); a time
  // beyond that, which anyone may write into a status or an object, would
  // overflow the conversion.
  constexpr auto kLimit = duration_cast<seconds>(Clock::Wall::duration::max());
  if (t.time_since_epoch() > kLimit || t.time_since_epoch() < -kLimit) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "RFC 3339 time out of range (the clock holds 1677-09-21 to 2262-04-11)");
  }
  return time_point_cast<Clock::Wall::duration>(t);
}

int64_t ParseUnixSeconds(std::string_view text) {
  auto t = ParseTime(text);
  return t.ok() ? floor<seconds>(t->time_since_epoch()).count() : 0;
}

}  // namespace agentfleet::kube::meta
