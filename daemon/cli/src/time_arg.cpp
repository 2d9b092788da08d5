#include "time_arg.hpp"

#include <charconv>
#include <ctime>

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

}  // namespace

std::optional<std::int64_t> parse_time_arg(std::string_view s, std::int64_t now) {
  if (!s.empty() && s.front() == '+') return relative(s, now);
  if (s.size() != 10 && s.size() != 16) return std::nullopt;
  auto y = number(s, 0, 4), mo = number(s, 5, 2), d = number(s, 8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  if (s.size() == 16) {
    auto h = number(s, 11, 2), mi = number(s, 14, 2);
    if (!h || !mi || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || *h > 23 || *mi > 59)
      return std::nullopt;
    tm.tm_hour = *h;
    tm.tm_min = *mi;
  }
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  std::tm check = tm;
  std::int64_t t = timegm(&check);
  if (check.tm_mday != *d) return std::nullopt;  // 2026-02-30 normalised into March
  return t;
}

}  // namespace hd::daemon
