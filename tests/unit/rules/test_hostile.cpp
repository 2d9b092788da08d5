// Admin patterns must never hang the daemon on hostile mail: RE2 runs in time linear in the
// input, and :contains uses a linear search for long keys. These tests only assert that a
// 10 MB hostile body is evaluated to the right answer (no time limit: see STYLE.md).
#include "hd/rules/script.hpp"

#include "raw_mail.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("pathological patterns over a 10 MB hostile body finish with the right answer") {
  hd::parsed_message m;
  m.from = hd::address{"", "attacker@example.org"};
  m.text = std::string(10 * 1024 * 1024, 'a');  // no 'b' anywhere: every pattern must fail
  m.headers = {{"Subject", std::string(1024 * 1024, 'a')}};
  const char* scripts[] = {
      // Catastrophic backtracking in a backtracking engine; linear in RE2.
      "require [\"body\", \"regex\"]; if body :regex \"(a+)+b\" { discard; }",
      "require [\"body\", \"regex\"]; if not body :regex \"(a+)+$\" { discard; }",
      "require [\"body\", \"regex\"]; if body :regex \"(a|aa)*c\" { discard; }",
      "require [\"body\", \"regex\"]; if body :regex \"^(a?){25}a{25}b\" { discard; }",
      // Many stars: exponential for a naive glob matcher.
      "require \"body\"; if body :matches \"*a*a*a*a*a*a*a*a*a*a*b\" { discard; }",
      "if header :matches \"subject\" \"*a*a*a*a*a*a*a*a*a*a*b\" { discard; }",
      // A long key that almost matches everywhere.
      "require \"body\"; if body :contains \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\" "
      "{ discard; }",
      "require \"body\"; if body :comparator \"i;octet\" :contains "
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\" { discard; }",
      "require [\"body\", \"variables\"]; if body :matches \"*a*a*a*a*a*a*b\" { discard; }",
  };
  for (const char* text : scripts) {
    CAPTURE(text);
    auto s = hd::rules::compile(text, "hostile.sieve", {});
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
    hd::rules::input in;
    in.message = &m;
    std::string raw = raw_mail(m);
    in.raw = raw;
    auto o = hd::rules::evaluate(*s, in);
    CHECK(o.implicit_keep);
    CHECK(o.result.create_request);
  }
}

TEST_CASE("a variable longer than max_variable_bytes is truncated") {
  hd::parsed_message m;
  m.from = hd::address{"", "a@b.c"};
  m.headers = {{"Subject", std::string(100000, 'x')}};
  hd::rules::limits lim;
  lim.max_variable_bytes = 100;
  auto s = hd::rules::compile(
      "require [\"fileinto\", \"variables\"]; if header :matches \"subject\" \"*\" { set \"s\" "
      "\"${1}${1}\"; fileinto \"${s}\"; }",
      "r", lim);
  REQUIRE(s.has_value());
  hd::rules::input in;
  in.message = &m;
  std::string raw = raw_mail(m);
  in.raw = raw;
  auto o = hd::rules::evaluate(*s, in);
  REQUIRE(o.actions.size() == 1);
  CHECK(o.actions[0].argument == std::string(100, 'x'));
}
