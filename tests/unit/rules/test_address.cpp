// Address headers as the `address` test reads them. Every expectation here was read off Dovecot
// Pigeonhole 2.3.19's sieve-test (its trace, `-Tlevel=matching`) for the same header value, not
// from helpdeskd's output; integration.test_rules_sieve_test checks the same values end to end.
#include "address.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using hd::rules::addr_part;
using hd::rules::sieve_address;

// The values an address part yields over a header value, joined with "|"; "-" when none.
std::string parts(std::string_view value, addr_part part) {
  std::string out;
  int n = 0;
  for (const sieve_address& a : hd::rules::sieve_address_list(value)) {
    if (auto p = hd::rules::address_part(a, part)) {
      out += (n++ ? "|" : "") + std::string(*p);
    }
  }
  return n ? out : "-";
}

}  // namespace

TEST_CASE("address headers read as Pigeonhole reads them") {
  struct row {
    const char* value;
    std::size_t count;  // what :count counts
    const char* all;
    const char* local;
    const char* domain;
  };
  const row rows[] = {
      {"a@b.c", 1, "a@b.c", "a", "b.c"},
      {"A <a@b.c>", 1, "a@b.c", "a", "b.c"},
      {"a@b.c, d@e.f", 2, "a@b.c|d@e.f", "a|d", "b.c|e.f"},
      // No usable mailbox: the value as written for :all, nothing for the parts.
      {"Big Bug bb@bug.com", 1, "Big Bug bb@bug.com", "-", "-"},
      {"foo", 1, "foo", "-", "-"},
      {"undisclosed-recipients:;", 1, "undisclosed-recipients:;", "-", "-"},
      {"<>", 1, "<>", "-", "-"},
      {"<a@b.c", 1, "<a@b.c", "-", "-"},
      {"a@", 1, "a@", "-", "-"},
      {"a@b.c.", 1, "a@b.c.", "-", "-"},
      {"a@b..c", 1, "a@b..c", "-", "-"},
      {"a@b.c (unterminated", 1, "a@b.c (unterminated", "-", "-"},
      {"g: g2: a@b.c;;", 1, "g: g2: a@b.c;;", "-", "-"},
      {"=?utf-8?q?a=40b.c?=", 1, "=?utf-8?q?a=40b.c?=", "-", "-"},
      {"j\xC3\xB6"
       "e@ex\xC3\xA4mple.net",
       1,
       "j\xC3\xB6"
       "e@ex\xC3\xA4mple.net",
       "-", "-"},
      // Unusable mailboxes are skipped when another one is usable.
      {"a@b.c, foo", 1, "a@b.c", "a", "b.c"},
      {"foo, a@b.c", 1, "a@b.c", "a", "b.c"},
      {"a@b.c, j\xC3\xB6"
       "e@x.y",
       1, "a@b.c", "a", "b.c"},
      {"<a@b.c>, <>", 1, "a@b.c", "a", "b.c"},
      {"g: <>, a@b.c;", 1, "a@b.c", "a", "b.c"},
      {"g:;, a@b.c", 1, "a@b.c", "a", "b.c"},
      {"a@b.c, (unterminated", 1, "a@b.c", "a", "b.c"},
      // The list ends at garbage after a mailbox.
      {"a@b.c d@e.f, g@h.i", 1, "a@b.c", "a", "b.c"},
      {"<a@b.c>x, d@e.f", 1, "a@b.c", "a", "b.c"},
      {"Big Bug bb@bug.com, a@b.c", 1, "Big Bug bb@bug.com, a@b.c", "-", "-"},
      // Groups, comments, routes, obsolete forms.
      {"g: a@b.c, d@e.f;", 2, "a@b.c|d@e.f", "a|d", "b.c|e.f"},
      {"g: a@b.c", 1, "a@b.c", "a", "b.c"},
      {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", 1, "pete@silly.test",
       "pete", "silly.test"},
      {"<@r1,@r2:a@b.c>", 1, "a@b.c", "a", "b.c"},
      {"a @ b .c", 1, "a@b.c", "a", "b.c"},
      {"A. B. <a@b.c>", 1, "a@b.c", "a", "b.c"},
      {"a@[ 1.2.3.4 ]", 1, "a@[ 1.2.3.4 ]", "a", "[ 1.2.3.4 ]"},
      // Local parts that are not dot-atoms are quoted in :all, bare in :localpart.
      {"\"quoted local\"@b.c", 1, "\"quoted local\"@b.c", "quoted local", "b.c"},
      {"a..b@c.d", 1, "\"a..b\"@c.d", "a..b", "c.d"},
      {".a@b.c", 1, "\".a\"@b.c", ".a", "b.c"},
      {"\"a\\\"b\"@c.d", 1, "\"a\\\"b\"@c.d", "a\"b", "c.d"},
      {"\"a\".b@c.d", 1, "\"a\".b@c.d", "-", "-"},
      // An empty local part is counted but matches nothing; an empty value matches "".
      {"\"\"@b.c", 1, "-", "-", "-"},
      {"", 1, "", "", ""},
      // A value that starts with an unterminated comment has no entry at all.
      {"(unterminated <a@b.c>", 0, "-", "-", "-"},
  };
  for (const row& r : rows) {
    std::string value = r.value;
    CAPTURE(value);
    CHECK(hd::rules::sieve_address_list(r.value).size() == r.count);
    CHECK(parts(r.value, addr_part::all) == r.all);
    CHECK(parts(r.value, addr_part::localpart) == r.local);
    CHECK(parts(r.value, addr_part::domain) == r.domain);
  }
}

TEST_CASE("subaddress parts split the local part at the first '+'") {
  CHECK(parts("user+a+b@x.y", addr_part::user) == "user");
  CHECK(parts("user+a+b@x.y", addr_part::detail) == "a+b");
  CHECK(parts("user@x.y", addr_part::detail) == "-");
  CHECK(parts("+d@x.y", addr_part::user) == "");
  CHECK(parts("foo", addr_part::user) == "-");
}

TEST_CASE("at most k_max_addresses_per_value addresses of one value are read") {
  std::string v;
  for (int i = 0; i < 300; ++i) v += "a" + std::to_string(i) + "@b.c, ";
  CHECK(hd::rules::sieve_address_list(v).size() == hd::rules::k_max_addresses_per_value);
}

TEST_CASE("deeply nested comments and long values are read without recursion") {
  std::string v = std::string(100000, '(') + std::string(100000, ')') + " a@b.c";
  CHECK(parts(v, addr_part::all) == "a@b.c");
  std::string words;
  for (int i = 0; i < 100000; ++i) words += "w ";
  CHECK(parts(words + "<a@b.c>", addr_part::all) == "a@b.c");
}
