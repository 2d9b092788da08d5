// [companies]: the admin's lists of company categories and industries.
#include "hd/common/config.hpp"

#include <doctest/doctest.h>

namespace {

auto parse(std::string_view text) { return hd::parse_config(text, "test.toml", "/base", {}); }

}  // namespace

TEST_CASE("[companies] lists are read, checked and described") {
  auto none = parse("");
  REQUIRE(none.has_value());
  CHECK(none->companies.categories.empty());
  CHECK(none->companies.industries.empty());

  auto c =
      parse("[companies]\ncategories = [\"customer\", \"partner\"]\nindustries = [\"energy\"]\n");
  REQUIRE(c.has_value());
  CHECK(c->companies.categories == std::vector<std::string>{"customer", "partner"});
  CHECK(c->companies.industries == std::vector<std::string>{"energy"});
  std::string described = hd::describe_config(*c);
  CHECK(described.find("[companies]") != std::string::npos);
  CHECK(described.find("partner") != std::string::npos);

  struct row {
    const char* toml;
    const char* want;
  };
  const row bad[] = {
      {"[companies]\ncategories = [\"a\", \"a\"]\n",
       "companies.categories: 'a' is empty or listed twice"},
      {"[companies]\nindustries = [\"\"]\n", "companies.industries"},
      {"[companies]\nsectors = [\"x\"]\n", "sectors"},
  };
  for (const row& r : bad) {
    CAPTURE(r.toml);
    auto got = parse(r.toml);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().message.find(r.want) != std::string::npos);
  }
}
