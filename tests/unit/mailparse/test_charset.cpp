#include "hd/mailparse/charset.hpp"

#include "hd/common/utf8.hpp"

#include <doctest/doctest.h>

using hd::mailparse::canonical_charset;
using hd::mailparse::to_utf8;

TEST_CASE("charset labels as mail clients write them") {
  struct row {
    const char* label;
    const char* want;
  };
  const row rows[] = {
      {"latin1", "windows-1252"},
      {"ISO-8859-1", "windows-1252"},
      {"\"iso-8859-1\"", "windows-1252"},
      {"iso8859_1", "windows-1252"},
      {"us-ascii", "windows-1252"},
      {"UTF8", "utf-8"},
      {"utf-8;", "utf-8"},
      {"iso-gb2312", "gb18030"},
      {"GB2312", "gb18030"},
      {"ks_c_5601-1987", "cp949"},
      {"unicode-1-1-utf-7", "utf-7"},
      {"x-unknown", ""},
      {"none", ""},
      {"unknown-8bit", ""},
      {"", ""},
      {"iso8859-2", "iso-8859-2"},
      {"iso_8859-15", "iso-8859-15"},
      {"cp1251", "windows-1251"},
      {"x-cp1250", "windows-1250"},
      {"shift_jis", "cp932"},
      {"iso-2022-jp", "iso-2022-jp-2"},
      {"koi8-r", "koi8-r"},
      {"x-sjis", "cp932"},
      {"big5", "big5-hkscs"},
  };
  for (const row& r : rows) {
    CAPTURE(r.label);
    CHECK(canonical_charset(r.label) == r.want);
  }
}

TEST_CASE("bytes become UTF-8 whatever their label") {
  struct row {
    const char* name;
    std::string bytes;
    const char* label;
    std::string want;
    bool want_defect;
  };
  const row rows[] = {
      {"utf-8 as is", "Troms\xC3\xB8", "utf-8", "Troms\xC3\xB8", false},
      {"latin1", "Troms\xF8", "latin1", "Troms\xC3\xB8", false},
      {"iso-8859-1 is really windows-1252", "\x93quoted\x94 \x80", "iso-8859-1",
       "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC", false},
      {"undeclared UTF-8", "\xC3\x85sa", "", "\xC3\x85sa", false},
      {"undeclared 8-bit falls back to windows-1252", "\xC5sa", "", "\xC3\x85sa", true},
      {"x-unknown is undeclared", "caf\xE9", "x-unknown", "caf\xC3\xA9", true},
      {"labelled UTF-8 but latin-1", "caf\xE9 cr\xE8me", "utf-8", "caf\xC3\xA9 cr\xC3\xA8me", true},
      {"UTF-8 with one bad byte", "\xC3\xA5 \xFF", "utf-8", "\xC3\xA5 \xEF\xBF\xBD", true},
      {"iso-8859-2", "\xB1", "iso-8859-2", "\xC4\x85", false},
      {"koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4", "koi8-r",
       "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", false},
      {"ks_c_5601-1987", "\xC7\xD1", "ks_c_5601-1987", "\xED\x95\x9C", false},
      {"iso-gb2312", "\xD6\xD0", "iso-gb2312", "\xE4\xB8\xAD", false},
      {"unicode-1-1-utf-7", "+AOU-", "unicode-1-1-utf-7", "\xC3\xA5", false},
      {"shift_jis", "\x82\xA0", "shift_jis", "\xE3\x81\x82", false},
      {"iso-2022-jp", "\x1B$B$\"\x1B(B", "iso-2022-jp", "\xE3\x81\x82", false},
      {"unknown charset", "abc", "x-klingon", "abc", true},
      {"invalid byte in a multibyte charset", "\xC7\xD1\xFF", "euc-kr", "\xED\x95\x9C\xEF\xBF\xBD",
       true},
      {"truncated multibyte sequence", "\xC7", "euc-kr", "\xEF\xBF\xBD", true},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      std::vector<std::string> defects;
      std::string got = to_utf8(r.bytes, r.label, &defects);
      CHECK(got == r.want);
      CHECK(hd::is_valid_utf8(got));
      CHECK(defects.empty() != r.want_defect);
    }
  }
}

TEST_CASE("windows-1252 covers every byte") {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  std::string got = hd::mailparse::windows_1252_to_utf8(all);
  CHECK(hd::is_valid_utf8(got));
  CHECK(hd::mailparse::windows_1252_to_utf8("\x81") == "\xC2\x81");
}

TEST_CASE("valid_utf8 (fast path) agrees with hd::is_valid_utf8") {
  const std::string_view tricky[] = {"",
                                     "plain ascii text",
                                     "\xC3\xA5",
                                     "abcdefgh\xC3\xA5",
                                     "\xC3",
                                     "abcdefghij\xC3",
                                     "\xC0\xAF",
                                     "\xE0\x9F\x80",
                                     "\xE0\xA0\x80",
                                     "\xED\xA0\x80",
                                     "\xED\x9F\xBF",
                                     "\xF0\x8F\xBF\xBF",
                                     "\xF0\x90\x80\x80",
                                     "\xF4\x8F\xBF\xBF",
                                     "\xF4\x90\x80\x80",
                                     "\xF5\x80\x80\x80",
                                     "\xFF",
                                     "12345678\x80",
                                     "\xE2\x82",
                                     "\xE2\x82\xAC tail 12345678"};
  for (std::string_view s : tricky) {
    CAPTURE(s);
    CHECK(hd::mailparse::valid_utf8(s) == hd::is_valid_utf8(s));
  }
  // Random strings biased towards ASCII with 8-bit bytes mixed in, as mail text is.
  unsigned seed = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    int len = round % 40;
    for (int k = 0; k < len; ++k) {
      seed = seed * 1103515245u + 12345u;
      unsigned v = (seed >> 16) & 0xFF;
      s += static_cast<char>(v < 0x60 ? 'a' + v % 26 : v);
    }
    CAPTURE(s);
    REQUIRE(hd::mailparse::valid_utf8(s) == hd::is_valid_utf8(s));
  }
}
