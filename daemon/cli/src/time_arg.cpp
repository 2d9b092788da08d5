#include "time_arg.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace hd::daemon {
namespace {

std::optional<int> number(std::string_view s, std::size_t pos, std::size_t len) {
  if (pos + len > s.size()) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
  if (ec != std::errc() || p != s.data() + pos + len) return std::nullopt;
  return v;
}

std::optional<std::int64_t> relative(std::string_view s, std::int64_t now) {
  if (s.size() < 3) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size() - 1, n);
  if (ec != std::errc() || p != s.data() + s.size() - 1 || n <= 0 || n > 36500LL * 24 * 60)
    return std::nullopt;
  switch (s.back()) {
    case 'm':
      return now + n * 60;
    case 'h':
      return now + n * 3600;
    case 'd':
      return now + n * 86400;
    default:
      return std::nullopt;
  }
}

// "HH:MM" -> minutes after midnight.
std::optional<int> clock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = number(s, 0, 2), m = number(s, 3, 2);
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return *h * 60 + *m;
}

// "Z", "+HH:MM" or "-HH:MM" -> seconds east of UTC.
std::optional<long> offset(std::string_view s) {
  if (s == "Z" || s == "z") return 0L;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  std::optional<int> c = clock(s.substr(1));
  if (!c) return std::nullopt;
  return (s[0] == '-' ? -1L : 1L) * *c * 60;
}

// The local day DAYS after NOW's at MINUTES after midnight (mktime handles month ends and
// daylight saving: a day is a calendar day, not 86400 s).
std::int64_t local_day_at(std::int64_t now, int days, int minutes) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_mday += days;
  tm.tm_hour = minutes / 60;
  tm.tm_min = minutes % 60;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

int weekday_of(std::int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm.tm_wday;
}

std::optional<int> weekday(std::string_view w) {
  static constexpr std::array<std::string_view, 7> names = {
      "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  for (int i = 0; i < 7; ++i) {
    if (w == names[i] || w == names[i].substr(0, 3)) return i;
  }
  return std::nullopt;
}

// "tomorrow [HH:MM]" or "<weekday> [HH:MM]".
std::optional<std::int64_t> named_day(std::string_view s, std::int64_t now) {
  std::size_t sp = s.find(' ');
  std::string_view word = s.substr(0, sp);
  int minutes = default_hour * 60;
  if (sp != std::string_view::npos) {
    std::optional<int> c = clock(s.substr(sp + 1));
    if (!c) return std::nullopt;
    minutes = *c;
  }
  if (word == "tomorrow") return local_day_at(now, 1, minutes);
  std::optional<int> wd = weekday(word);
  if (!wd) return std::nullopt;
  int ahead = (*wd - weekday_of(now) + 7) % 7;
  return local_day_at(now, ahead == 0 ? 7 : ahead, minutes);
}

std::optional<std::int64_t> absolute(std::string_view s) {
  std::optional<long> off;
  if (s.size() > 16) {
    off = offset(s.substr(16));
    if (!off) return std::nullopt;
    s = s.substr(0, 16);
  }
  if (s.size() != 10 && s.size() != 16) return std::nullopt;
  auto y = number(s, 0, 4), mo = number(s, 5, 2), d = number(s, 8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_isdst = -1;
  if (s.size() == 16) {
    std::optional<int> c = clock(s.substr(11));
    if (!c || (s[10] != 'T' && s[10] != ' ')) return std::nullopt;
    tm.tm_hour = *c / 60;
    tm.tm_min = *c % 60;
  }
  std::tm check = tm;
  std::int64_t t = off ? static_cast<std::int64_t>(timegm(&check)) - *off
                       : static_cast<std::int64_t>(std::mktime(&check));
  if (check.tm_mday != *d) return std::nullopt;  // 2026-02-30 normalised into March
  return t;
}

}  // namespace

std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view s = lower;
  if (!s.empty() && s.front() == '+') return relative(s, now);
  if (!s.empty() && std::isalpha(static_cast<unsigned char>(s.front()))) return named_day(s, now);
  // The date forms keep their case: "T" and "Z" are read from the original text.
  return absolute(text);
}

std::string_view time_arg_forms() {
  return "  2026-12-07              that day, 00:00 local time\n"
         "  2026-12-07T14:30        local time (also '2026-12-07 14:30')\n"
         "  2026-12-07T14:30Z       UTC; or with an offset: 2026-12-07T14:30+01:00\n"
         "  +30m  +4h  +3d          minutes, hours or days from now\n"
         "  tomorrow [14:30]        the next day, 09:00 local time unless a time is given\n"
         "  monday [14:30]          the coming Monday (never today), 09:00 unless a time is\n"
         "                          given; also tuesday .. sunday, mon .. sun\n";
}

}  // namespace hd::daemon
