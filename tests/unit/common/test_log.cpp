#include "hd/common/log.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

TEST_CASE("log lines are `level event key=value`, hostile values quoted") {
  struct row {
    const char* name;
    std::string got;
    std::string want;
  };
  const row rows[] = {
      {"plain",
       hd::format_log_line(hd::log_level::info, "ingest.stored",
                           {{"request", 12}, {"mailbox", "support"}}),
       "info ingest.stored request=12 mailbox=support"},
      {"spaces", hd::format_log_line(hd::log_level::warn, "x", {{"reason", "no sender"}}),
       "warn x reason=\"no sender\""},
      {"newline cannot forge a line",
       hd::format_log_line(hd::log_level::error, "x", {{"subject", "a\nerror forged k=v"}}),
       "error x subject=\"a\\nerror forged k=v\""},
      {"quotes and escapes", hd::format_log_line(hd::log_level::debug, "x", {{"v", "a\"b\\c"}}),
       "debug x v=\"a\\\"b\\\\c\""},
      {"control bytes",
       hd::format_log_line(hd::log_level::info, "x",
                           {{"v", std::string("a\x01"
                                              "b")}}),
       "info x v=\"a\\x01b\""},
      {"empty", hd::format_log_line(hd::log_level::info, "x", {{"v", ""}}), "info x v=\"\""},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) { CHECK(r.got == r.want); }
  }
}

TEST_CASE("levels parse and filter") {
  CHECK(hd::parse_log_level("warning") == hd::log_level::warn);
  CHECK_FALSE(hd::parse_log_level("loud"));
  hd::logger l(hd::log_level::warn, nullptr);
  CHECK_FALSE(l.enabled(hd::log_level::info));
  CHECK(l.enabled(hd::log_level::error));
}

TEST_CASE("log prefixes: syslog priorities for the journal, else the local time") {
  CHECK(hd::log_style_for(true) == hd::log_style::journal);
  CHECK(hd::log_style_for(false) == hd::log_style::timestamp);
  using hd::log_level;
  using hd::log_style;
  CHECK(hd::log_prefix(log_style::journal, log_level::error, 0) == "<3>");
  CHECK(hd::log_prefix(log_style::journal, log_level::warn, 0) == "<4>");
  CHECK(hd::log_prefix(log_style::journal, log_level::info, 0) == "<6>");
  CHECK(hd::log_prefix(log_style::journal, log_level::debug, 0) == "<7>");
  CHECK(hd::log_prefix(log_style::plain, log_level::error, 0).empty());
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  CHECK(hd::log_prefix(log_style::timestamp, log_level::info, 1700000000) ==
        "2023-11-14T22:13:20+00:00 ");
  ::setenv("TZ", "CET-1", 1);
  ::tzset();
  CHECK(hd::log_prefix(log_style::timestamp, log_level::info, 1700000000) ==
        "2023-11-14T23:13:20+01:00 ");
  ::unsetenv("TZ");
  ::tzset();
}
