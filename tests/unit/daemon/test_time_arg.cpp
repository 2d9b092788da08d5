#include "time_arg.hpp"

#include <doctest/doctest.h>

TEST_CASE("times on the command line") {
  const std::int64_t now = 1700000000;  // 2023-11-14T22:13:20Z
  struct row {
    const char* in;
    std::optional<std::int64_t> want;
  };
  const row rows[] = {
      {"2026-12-01", 1796083200},
      {"2026-12-01T09:30", 1796117400},
      {"2026-12-01 09:30", 1796117400},
      {"+90m", now + 5400},
      {"+4h", now + 4 * 3600},
      {"+3d", now + 3 * 86400},
      {"2026-02-30", std::nullopt},
      {"2026-13-01", std::nullopt},
      {"2026-12-01T24:00", std::nullopt},
      {"tomorrow", std::nullopt},
      {"+3w", std::nullopt},
      {"+-3d", std::nullopt},
      {"+d", std::nullopt},
      {"", std::nullopt},
  };
  for (const row& r : rows) {
    SUBCASE(r.in) { CHECK(hd::daemon::parse_time_arg(r.in, now) == r.want); }
  }
}
