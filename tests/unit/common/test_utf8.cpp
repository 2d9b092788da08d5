#include "hd/common/digest.hpp"
#include "hd/common/utf8.hpp"

#include <doctest/doctest.h>

TEST_CASE("UTF-8 validation and repair") {
  struct row {
    const char* name;
    std::string in;
    bool valid;
    std::string repaired;
  };
  const row rows[] = {
      {"ascii", "hello", true, "hello"},
      {"nordic", "\xC3\x85sa Bj\xC3\xB8rnstad", true, "\xC3\x85sa Bj\xC3\xB8rnstad"},
      {"latin1 byte", "Troms\xF8", false, "Troms\xEF\xBF\xBD"},
      {"overlong slash", "\xC0\xAF", false, "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"surrogate", "\xED\xA0\x80", false, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"truncated at end", "ab\xE2\x82", false, "ab\xEF\xBF\xBD"},
      {"four bytes", "\xF0\x9F\x98\x80", true, "\xF0\x9F\x98\x80"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", false,
       "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"NUL is valid", std::string("a\0b", 3), true, std::string("a\0b", 3)},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      CHECK(hd::is_valid_utf8(r.in) == r.valid);
      CHECK(hd::repair_utf8(r.in) == r.repaired);
      CHECK(hd::is_valid_utf8(hd::repair_utf8(r.in)));
    }
  }
}

TEST_CASE("UTF-8 repair by runs, as Dovecot: one U+FFFD per run, NUL replaced") {
  struct row {
    const char* name;
    std::string in;
    std::string want;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  const row rows[] = {
      {"valid kept", "caf\xC3\xA9", "caf\xC3\xA9"},
      {"two bad bytes, one replacement", "Forma\xE7\xE3o", "Forma" + fffd + "o"},
      {"separate runs",
       "a\xE9"
       "b\xE9"
       "c",
       "a" + fffd + "b" + fffd + "c"},
      {"surrogate is one run", "\xED\xA0\x80", fffd},
      {"after a real U+FFFD nothing is added", fffd + "\xE9", fffd},
      {"two real U+FFFD stay", fffd + fffd, fffd + fffd},
      {"NUL replaced", std::string("nul\0 in", 7), "nul" + fffd + " in"},
      {"truncated at end", "ab\xE2\x82", "ab" + fffd},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      std::string got = hd::repair_utf8_runs(r.in);
      CHECK(got == r.want);
      CHECK(hd::is_valid_utf8(got));
    }
  }
}

TEST_CASE("sha256") {
  CHECK(hd::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hd::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
