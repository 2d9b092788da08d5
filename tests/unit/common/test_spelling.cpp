#include "hd/common/spelling.hpp"

#include <doctest/doctest.h>

TEST_CASE("edit_distance counts insertions, deletions, substitutions and swaps") {
  struct row {
    const char* a;
    const char* b;
    std::size_t want;
  };
  const row rows[] = {
      {"", "", 0},
      {"abc", "", 3},
      {"pasword", "password", 1},
      {"acme-akc", "ack", 5},
      {"teh", "the", 1},
      {"Category", "category", 0},
      {"kitten", "sitting", 3},
  };
  for (const row& r : rows) {
    CAPTURE(r.a);
    CAPTURE(r.b);
    CHECK(hd::edit_distance(r.a, r.b) == r.want);
  }
}

TEST_CASE("nearest_name suggests only likely typos") {
  const std::vector<std::string> keys = {"password", "password_env", "password_file", "user"};
  CHECK(hd::nearest_name("pasword_file", keys) == "password_file");
  CHECK(hd::nearest_name("usr", keys) == "user");
  CHECK_FALSE(hd::nearest_name("frobnicate", keys));
  CHECK_FALSE(hd::nearest_name("password", keys));  // known: nothing to suggest
  CHECK(hd::did_you_mean("pasword_file", keys) == " (did you mean 'password_file'?)");
  CHECK(hd::did_you_mean("zzz", keys).empty());
}
