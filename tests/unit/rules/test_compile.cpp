#include "hd/rules/script.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

std::string first_error(const std::string& text, const hd::rules::known_names& known = {},
                        hd::rules::limits lim = {}) {
  auto errors = hd::rules::compile_errors(text, "r.sieve", lim, known);
  if (errors.empty()) return "ok";
  const auto& e = errors.front();
  return std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message;
}

}  // namespace

TEST_CASE("errors carry line, column and a plain message") {
  struct row {
    const char* script;
    const char* want;
  };
  const row rows[] = {
      {"keep;", "ok"},
      {"# comment\n/* block\ncomment */ keep;", "ok"},
      {"kep;", "1:1: unknown command 'kep'"},
      {"keep", "1:5: expected ';' after the command 'keep', found the end of the script"},
      {"if true {\n keep;\n", "3:1: missing '}' at the end of the script"},
      {"\n  fileinto \"x\";",
       "2:3: 'fileinto' needs 'require \"fileinto\";' at the top of the script"},
      {"require \"nope\";",
       "1:9: unsupported extension 'nope' (supported: body, "
       "comparator-i;ascii-casemap, comparator-i;ascii-numeric, "
       "comparator-i;octet, envelope, fileinto, regex, relational, "
       "subaddress, variables, vnd.helpdeskd)"},
      {"keep; require \"fileinto\";", "1:7: 'require' must come before every other command"},
      {"if header :contains \"subject\" { keep; }",
       "1:4: wrong arguments for 'header'; usage: header :contains \"subject\" \"invoice\""},
      {"if header :bogus \"a\" \"b\" { keep; }", "1:11: unknown tag ':bogus' for 'header'"},
      {"if size 10 { keep; }", "1:4: wrong arguments for 'size'; usage: size :over 1M"},
      {"if true keep;", "1:1: 'if' needs a block { ... }"},
      {"else { keep; }", "1:1: 'else' without a preceding 'if'"},
      {"if header \"a\" \"b\" { keep; }", "ok"},
      {"if header \"a\" \"b\" \"c\" { keep; }",
       "1:4: wrong arguments for 'header'; usage: header :contains \"subject\" \"invoice\""},
      {"require \"regex\";\nif header :regex \"subject\" \"(unclosed\" { keep; }",
       "2:28: the regular expression \"(unclosed\" does not compile: missing ): (unclosed"},
      {"if header :regex \"subject\" \"a\" { keep; }",
       "1:11: ':regex' needs 'require \"regex\";' at the top of the script"},
      {"redirect \"nobody\";", "1:10: 'nobody' is not a mail address"},
      {"keep; \"oops", "1:7: string is never closed with '\"'"},
      {"keep; @", "1:7: unexpected character '@'"},
      {"if header :comparator \"i;nope\" \"a\" \"b\" { keep; }",
       "1:23: unknown comparator 'i;nope' (i;octet, i;ascii-casemap, i;ascii-numeric)"},
      {"require \"envelope\"; if envelope \"auth\" \"x\" { keep; }",
       "1:33: unknown envelope part 'auth' (\"from\" or \"to\")"},
      {"require \"vnd.helpdeskd\"; tag [\"a\", \"b\"];",
       "1:26: 'tag' takes one string, e.g. tag \"name\";"},
  };
  for (const row& r : rows) {
    CAPTURE(r.script);
    CHECK(first_error(r.script) == r.want);
  }
}

TEST_CASE("every semantic error is reported, not only the first") {
  auto errors = hd::rules::compile_errors("kep;\nfileinto \"x\";\nstopp;\n", "r", {});
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].line == 1);
  CHECK(errors[1].line == 2);
  CHECK(errors[2].line == 3);
}

TEST_CASE("names are checked against the config") {
  hd::rules::known_names known;
  known.categories = std::vector<std::string>{"general", "billing"};
  known.users = std::vector<std::string>{"anna"};
  known.priorities = std::vector<std::string>{"normal"};
  known.templates = std::vector<std::string>{"ack"};
  const char* head = "require [\"fileinto\", \"vnd.helpdeskd\"];\n";
  CHECK(first_error(std::string(head) + "fileinto \"billing\"; assign \"anna\";", known) == "ok");
  CHECK(first_error(std::string(head) + "category \"sales\";", known) ==
        "2:10: unknown category 'sales' (known: general, billing; declare it with [[category]] "
        "in the config)");
  CHECK(first_error(std::string(head) + "assign \"bob\";", known) ==
        "2:8: unknown user 'bob' (known: anna; declare it with [[user]] in the config)");
  CHECK(first_error(std::string(head) + "priority \"high\";", known).find("unknown priority") !=
        std::string::npos);
  CHECK(first_error(std::string(head) + "template \"x\";", known).find("unknown template") !=
        std::string::npos);
}

TEST_CASE("limits: script size and nesting") {
  hd::rules::limits lim;
  lim.max_script_bytes = 10;
  auto big = hd::rules::compile("keep; keep; keep;", "r", lim);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == hd::rules::errc::too_large);
  lim = {};
  lim.max_nesting = 3;
  CHECK(first_error("if true { if true { keep; } }", {}, lim) == "ok");
  CHECK(first_error("if true { if true { if true { keep; } } }", {}, lim) ==
        "1:29: blocks nested 3 levels deep; the limit is fewer than 3 (rules.max_nesting)");
  CHECK(first_error("if not true { keep; }", {}, lim) == "ok");
  CHECK(first_error("if not not true { keep; }", {}, lim).find("tests nested 3 levels") !=
        std::string::npos);
}

std::string nested(const char* open, int n, const char* inner, const char* close) {
  std::string s;
  for (int i = 0; i < n; ++i) s += open;
  s += inner;
  for (int i = 0; i < n; ++i) s += close;
  return s;
}

TEST_CASE("nesting limits as Pigeonhole's: tests and blocks are counted apart") {
  // sievec (Pigeonhole 0.5): 30 nested anyof around `true` (31 tests) compile, 31 are refused
  // with "cannot nest tests deeper than 32 levels"; 31 nested blocks compile, 32 are refused
  // with "cannot nest command blocks deeper than 32 levels". The blocks around a test do not
  // count towards its depth.
  auto tests = [](int n) { return "if " + nested("anyof(", n, "true", ")") + " { keep; }"; };
  auto blocks = [](int n, const std::string& inner) {
    return nested("if true {", n, inner.c_str(), "}");
  };
  CHECK(first_error(tests(30)) == "ok");
  CHECK(first_error(tests(31)).find("tests nested 32 levels deep") != std::string::npos);
  CHECK(first_error(blocks(31, "keep;")) == "ok");
  CHECK(first_error(blocks(32, "keep;")).find("blocks nested 32 levels deep") != std::string::npos);
  CHECK(first_error(blocks(30, tests(30))) == "ok");
  CHECK(first_error("if " + nested("not ", 30, "true", "") + " { keep; }") == "ok");
}

TEST_CASE("a compile error message lists every error as file:line:column") {
  auto s = hd::rules::compile("kep;\nstopp;", "rules.sieve", {});
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().message ==
        "rules.sieve:1:1: unknown command 'kep'\nrules.sieve:2:1: unknown command 'stopp'");
}

TEST_CASE("set modifiers of one precedence group conflict, as in Pigeonhole") {
  // sievec: "modifiers :lower and :upper specified for the set command conflict having equal
  // precedence".
  const std::string head = "require \"variables\"; ";
  CHECK(first_error(head + "set :lower :upper \"a\" \"b\";").find("conflict") != std::string::npos);
  CHECK(first_error(head + "set :upperfirst :lowerfirst \"a\" \"b\";").find("conflict") !=
        std::string::npos);
  CHECK(first_error(head + "set :lower :upperfirst :quotewildcard :length \"a\" \"b\";") == "ok");
}

TEST_CASE("setting_warnings: an unconditional setter hides the config's own value") {
  auto warnings = [](std::string_view text) {
    auto s = hd::rules::compile(text, "rules.sieve", {});
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
    return hd::rules::setting_warnings(*s);
  };
  SUBCASE("a catch-all category at the end") {
    auto w = warnings(
        "require [\"fileinto\", \"vnd.helpdeskd\"];\n"
        "if header :contains \"subject\" \"invoice\" { fileinto \"billing\"; }\n"
        "category \"general\";\n");
    REQUIRE(w.size() == 1);
    CHECK(w[0].line == 3);
    CHECK(w[0].column == 1);
    CHECK(w[0].message.find("the mailbox's own `category` is never used") != std::string::npos);
  }
  SUBCASE("one warning per setting, fileinto counts as category") {
    auto w = warnings(
        "require [\"fileinto\", \"vnd.helpdeskd\"];\nfileinto \"a\";\ncategory \"b\";\n"
        "priority \"urgent\";\n");
    REQUIRE(w.size() == 2);
    CHECK(w[0].line == 2);
    CHECK(w[1].line == 4);
  }
  SUBCASE("inside an if, or after a top-level stop: no warning") {
    CHECK(warnings("require \"vnd.helpdeskd\";\nif true { category \"x\"; }\n").empty());
    CHECK(warnings("require \"vnd.helpdeskd\";\nstop;\ncategory \"x\";\n").empty());
  }
}
