#include "hd/common/log.hpp"

#include <doctest/doctest.h>

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
