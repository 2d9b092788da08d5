#include "time_arg.hpp"

#include "hd/api/json.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace {

// Runs the parser in a fixed zone (a POSIX TZ rule, so no tzdata is needed) and restores the
// process's zone afterwards.
struct zone {
  explicit zone(const char* tz) {
    if (const char* old = std::getenv("TZ")) saved_ = old, had_ = true;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~zone() {
    if (had_) {
      setenv("TZ", saved_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  zone(const zone&) = delete;
  zone& operator=(const zone&) = delete;

 private:
  std::string saved_;
  bool had_ = false;
};

struct row {
  const char* in;
  std::optional<std::int64_t> want;
};

}  // namespace

TEST_CASE("times on the command line, UTC") {
  zone utc("UTC0");
  const std::int64_t now = 1700000000;  // 2023-11-14T22:13:20Z, a Tuesday
  const row rows[] = {
      {"2026-12-01", 1796083200},
      {"2026-12-01T09:30", 1796117400},
      {"2026-12-01 09:30", 1796117400},
      {"+90m", now + 5400},
      {"+4h", now + 4 * 3600},
      {"+3d", now + 3 * 86400},
      {"tomorrow", 1700038800},  // 2023-11-15T09:00Z
      {"2026-02-30", std::nullopt},
      {"2026-13-01", std::nullopt},
      {"2026-12-01T24:00", std::nullopt},
      {"+3w", std::nullopt},
      {"+-3d", std::nullopt},
      {"+d", std::nullopt},
      {"", std::nullopt},
      {"someday", std::nullopt},
  };
  for (const row& r : rows) {
    SUBCASE(r.in) { CHECK(hd::daemon::parse_time_arg(r.in, now) == r.want); }
  }
}

TEST_CASE("times on the command line, Central European Time") {
  zone cet("CET-1CEST,M3.5.0,M10.5.0/3");
  // 2026-12-05T09:30:00+01:00, a Saturday.
  const std::int64_t now = 1796459400;
  const row rows[] = {
      {"tomorrow", 1796544000},        // Sunday 2026-12-06T09:00+01:00
      {"Tomorrow 14:30", 1796563800},  // 2026-12-06T14:30+01:00
      {"monday 09:00", 1796630400},    // 2026-12-07T09:00+01:00
      {"monday", 1796630400},          // a bare weekday: 09:00
      {"mon 17:15", 1796660100},       // 2026-12-07T17:15+01:00
      {"saturday", 1797062400},        // today is Saturday: the next one, 2026-12-12T09:00
      {"friday 08:00", 1796972400},    // 2026-12-11T08:00+01:00
      {"2026-12-07", 1796598000},      // 00:00 local
      {"2026-12-07T09:00", 1796630400},
      {"2026-12-07T09:00Z", 1796634000},
      {"2026-12-07T09:00+01:00", 1796630400},
      {"2026-12-07T09:00-05:00", 1796652000},
      {"2026-07-01T09:00", 1782889200},  // summer time: +02:00
      {"+3d", now + 3 * 86400},
      {"+4h", now + 4 * 3600},
      {"+30m", now + 1800},
      {"monday 9", std::nullopt},
      {"monday 25:00", std::nullopt},
      {"next monday", std::nullopt},
      {"tomorrow morning", std::nullopt},
      {"2026-12-07T09:00+1", std::nullopt},
  };
  for (const row& r : rows) {
    SUBCASE(r.in) { CHECK(hd::daemon::parse_time_arg(r.in, now) == r.want); }
  }
}

TEST_CASE("a day is a calendar day across a daylight saving change") {
  zone cet("CET-1CEST,M3.5.0,M10.5.0/3");
  // Saturday 2026-03-28T12:00+01:00; summer time starts on Sunday 2026-03-29.
  const std::int64_t now = 1774695600;
  CHECK(hd::daemon::parse_time_arg("tomorrow", now) == 1774767600);  // 2026-03-29T09:00+02:00
  CHECK(hd::daemon::parse_time_arg("monday", now) == 1774854000);    // 2026-03-30T09:00+02:00
}

TEST_CASE("the error text lists every accepted form") {
  std::string forms(hd::daemon::time_arg_forms());
  for (const char* f : {"2026-12-07T14:30", "+30m", "+4h", "+3d", "tomorrow", "monday", "09:00"})
    CHECK(forms.find(f) != std::string::npos);
}

TEST_CASE("times people read: local time with its offset") {
  {
    zone cet("CET-1CEST,M3.5.0,M10.5.0/3");
    CHECK(hd::daemon::iso8601(1796459400) == "2026-12-05T09:30:00+01:00");
    CHECK(hd::daemon::iso8601(1782889200) == "2026-07-01T09:00:00+02:00");
  }
  {
    zone ny("EST5EDT,M3.2.0,M11.1.0");
    CHECK(hd::daemon::iso8601(1796459400) == "2026-12-05T03:30:00-05:00");
  }
  {
    zone india("IST-5:30");
    CHECK(hd::daemon::iso8601(1796459400) == "2026-12-05T14:00:00+05:30");
  }
  zone utc("UTC0");
  CHECK(hd::daemon::iso8601(1796459400) == "2026-12-05T08:30:00Z");
}
