#include "hd/intake/message_id.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using hd::daemon::random_token;

TEST_CASE("random_token: 16 lowercase hex digits") {
  std::string t = random_token();
  REQUIRE(t.size() == 16);
  for (char c : t) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
}

TEST_CASE("random_token: no repeats across many calls") {
  // 64 random bits: a repeat among 100000 would mean a broken source (p ~ 3e-10).
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) CHECK(seen.insert(random_token()).second);
}
