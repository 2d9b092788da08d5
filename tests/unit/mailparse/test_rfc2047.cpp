#include "hd/mailparse/rfc2047.hpp"

#include <doctest/doctest.h>

using hd::mailparse::decode_unstructured;

TEST_CASE("encoded words in unstructured headers") {
  struct row {
    const char* name;
    const char* raw;
    const char* want;
  };
  const row rows[] = {
      {"plain", "Hello world", "Hello world"},
      {"folded", "Hello\r\n world", "Hello world"},
      {"q word", "=?iso-8859-1?q?Troms=F8?=", "Troms\xC3\xB8"},
      {"b word", "=?UTF-8?B?w4VzYQ==?=", "\xC3\x85sa"},
      {"adjacent words joined", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
      {"adjacent words across a fold", "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"},
      {"text between words kept", "=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
      {"underscore is a space", "=?utf-8?q?Factuur_klopt_niet?=", "Factuur klopt niet"},
      {"multibyte split across q words", "=?UTF-8?Q?=C3?= =?UTF-8?Q?=A5?=", "\xC3\xA5"},
      {"multibyte split across b words", "=?UTF-8?B?w4Vz?= =?UTF-8?B?w6U=?=", "\xC3\x85s\xC3\xA5"},
      // GMime 3.2.13 (upstream #133) truncates padded base64 words back to back.
      {"padded base64 words back to back",
       "=?UTF-8?B?w6U=?= =?UTF-8?B?w6U=?= =?UTF-8?B?w6U=?=", "\xC3\xA5\xC3\xA5\xC3\xA5"},
      {"padded base64 words without a space",
       "=?UTF-8?B?w6U=?==?UTF-8?B?w6U=?=", "\xC3\xA5\xC3\xA5"},
      {"different charsets in a row",
       "=?iso-8859-1?q?=E5?= =?utf-8?q?=C3=A5?=", "\xC3\xA5\xC3\xA5"},
      {"word inside quotes", "Re: \"=?UTF-8?B?5ryi5a2X?=\" mid",
       "Re: \"\xE6\xBC\xA2\xE5\xAD\x97\" mid"},
      {"language suffix (RFC 2231)", "=?utf-8*nl?q?hallo?=", "hallo"},
      {"lower-case encoding letter", "=?utf-8?b?w6U=?=", "\xC3\xA5"},
      {"broken word left as is", "=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
      {"unterminated word left as is", "=?utf-8?q?abc", "=?utf-8?q?abc"},
      {"empty word",
       "=?utf-8?q?"
       "?=",
       ""},
      {"broken charset name", "=?latin1?q?caf=E9?=", "caf\xC3\xA9"},
      {"ks_c_5601-1987", "=?ks_c_5601-1987?B?x9E=?=", "\xED\x95\x9C"},
      {"raw 8-bit UTF-8", "Skriveren p\xC3\xA5 kontoret", "Skriveren p\xC3\xA5 kontoret"},
      {"raw 8-bit latin-1", "Ver\xE3o", "Ver\xC3\xA3o"},
      {"base64url characters", "=?utf-8?b?w6U_?=", "\xC3\xA5?"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) { CHECK(decode_unstructured(r.raw) == r.want); }
  }
}

TEST_CASE("raw 8-bit header text in the body's charset") {
  CHECK(decode_unstructured("\xC7\xD1", nullptr, "euc-kr") == "\xED\x95\x9C");
  CHECK(decode_unstructured("\xC3\xA5", nullptr, "euc-kr") == "\xC3\xA5");  // valid UTF-8 wins
}

TEST_CASE("structured values keep their syntax") {
  using hd::mailparse::normalize_structured;
  CHECK(normalize_structured("=?iso-8859-1?q?=C5sa?= <a@b.no>") == "=?UTF-8?B?w4VzYQ==?= <a@b.no>");
  CHECK(normalize_structured("\"Berg, \xC5sa\" <a@b.no>") == "\"Berg, \xC3\x85sa\" <a@b.no>");
  CHECK(normalize_structured("a@b.no") == "a@b.no");
}

TEST_CASE("base64, also with padding in the middle (GMime upstream #150)") {
  using hd::mailparse::decode_base64;
  using hd::mailparse::encode_base64;
  CHECK(decode_base64("aGVsbG8=") == "hello");
  CHECK(decode_base64("aGVs\r\nbG8=") == "hello");
  CHECK(decode_base64("aGVsbG8=IHdvcmxk") == "hello world");
  CHECK(decode_base64("aGk=aGk=aGk=") == "hihihi");
  CHECK(decode_base64("aGVs|bG8") == "hello");
  CHECK(decode_base64("") == "");
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xFF\x00\x10"})
    CHECK(decode_base64(encode_base64(s)) == s);
}

TEST_CASE("decode_base64: the fast path and the slow path agree") {
  using hd::mailparse::decode_base64;
  using hd::mailparse::encode_base64;
  std::string data;
  for (int i = 0; i < 3000; ++i) data += static_cast<char>((i * 7919) & 0xFF);
  std::string b64 = encode_base64(data);
  CHECK(decode_base64(b64) == data);
  // Line breaks every 76 characters, and at odd places (inside a quantum).
  std::string lines, odd;
  for (std::size_t i = 0; i < b64.size(); i += 76) lines += b64.substr(i, 76) + "\r\n";
  for (std::size_t i = 0; i < b64.size(); i += 7) odd += b64.substr(i, 7) + "\n ";
  CHECK(decode_base64(lines) == data);
  CHECK(decode_base64(odd) == data);
  // Junk between quanta and padding in the middle (GMime #150) keep working.
  CHECK(decode_base64("aGVs*bG8=") == "hello");
  CHECK(decode_base64("aGk=aGk=") == "hihi");
  CHECK(decode_base64("aGVsbG8-_w") == "hello>\xFF");  // base64url letters
}

TEST_CASE("decode_strict reads headers as Dovecot does: no guessing, U+FFFD per bad run") {
  // Each expectation was read off Pigeonhole's sieve-test for the same Subject.
  struct row {
    const char* name;
    std::string raw;
    std::string want;
  };
  const std::string r = "\xEF\xBF\xBD";
  const row rows[] = {
      {"raw latin-1", "Forma\xE7\xE3o", "Forma" + r + "o"},
      {"runs", "caf\xE9 x\xE9\xE9y", "caf" + r + " x" + r + "y"},
      {"word and raw byte", "=?iso-8859-1?q?caf=E9?= \xE9", "caf\xC3\xA9 " + r},
      {"bad UTF-8 in a UTF-8 word", "=?utf-8?q?caf=E9?=", "caf" + r},
      {"one replacement for a run", "=?utf-8?q?caf=E9=E9?=x", "caf" + r + "x"},
      {"unknown charset read as UTF-8", "=?unknown?q?x=E9?=", "x" + r},
      {"valid kept, junk after", "a\xC3\xA9\xFF\xFE", "a\xC3\xA9" + r},
      {"valid UTF-8", "caf\xC3\xA9", "caf\xC3\xA9"},
      {"adjacent words joined", "=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=", "\xC3\xA9\xC3\xA9"},
      // Issue 23: ESC $ B, "$\"" (U+3042), 0x80 0x81, "$\"", ESC ( B, "ok": one U+FFFD for the
      // run, and the shift state kept across it.
      {"ISO-2022-JP bad run",
       "=?iso-2022-jp?b?GyRCJCKAgSQiGyhCb2s=?=", "\xE3\x81\x82" + r + "\xE3\x81\x82ok"},
      {"ISO-2022-JP 8-bit run in ASCII", "=?iso-2022-jp?b?YWL//f1jZA==?=", "ab" + r + "cd"},
  };
  for (const row& w : rows) {
    SUBCASE(w.name) { CHECK(hd::mailparse::decode_strict(w.raw) == w.want); }
  }
}
