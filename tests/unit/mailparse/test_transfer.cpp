#include "hd/mailparse/transfer.hpp"

#include <doctest/doctest.h>

using hd::mailparse::transfer_encoding;

TEST_CASE("Content-Transfer-Encoding values as mailers write them") {
  struct row {
    const char* value;
    transfer_encoding want;
    bool want_known;
  };
  const row rows[] = {
      {"base64", transfer_encoding::base64, true},
      {" Base64;", transfer_encoding::base64, true},
      {"quoted-printable", transfer_encoding::quoted_printable, true},
      {"quoted", transfer_encoding::quoted_printable, false},
      {"quoted printable", transfer_encoding::quoted_printable, false},
      {"x-uuencode", transfer_encoding::uuencode, false},
      {"7bit", transfer_encoding::identity, true},
      {"7-bit", transfer_encoding::identity, false},
      {"8bit", transfer_encoding::identity, true},
      {"8bits", transfer_encoding::identity, false},
      {"binary", transfer_encoding::identity, true},
      {"utf-8", transfer_encoding::identity, false},
      {"plain", transfer_encoding::identity, false},
      {"", transfer_encoding::identity, true},
  };
  for (const row& r : rows) {
    CAPTURE(r.value);
    bool known = true;
    CHECK(hd::mailparse::classify_transfer_encoding(r.value, known) == r.want);
    CHECK(known == r.want_known);
  }
}

TEST_CASE("quoted-printable, leniently") {
  using hd::mailparse::decode_quoted_printable;
  CHECK(decode_quoted_printable("Troms=F8\r\n") == "Troms\xF8\r\n");
  CHECK(decode_quoted_printable("binary\nlines\n") == "binary\r\nlines\r\n");  // issue 17.6
  CHECK(decode_quoted_printable("soft=\r\nbreak") == "softbreak");
  CHECK(decode_quoted_printable("soft= \r\nbreak") == "softbreak");
  CHECK(decode_quoted_printable("trailing   \nspace") == "trailing\r\nspace");
  CHECK(decode_quoted_printable("lower =c3=a5") == "lower \xC3\xA5");
  CHECK(decode_quoted_printable("bad =ZZ and =") == "bad =ZZ and ");
  CHECK(decode_quoted_printable("a = b") == "a = b");
}

TEST_CASE("uuencode") {
  using hd::mailparse::decode_uuencode;
  std::string name;
  CHECK(decode_uuencode("begin 644 cat.txt\n#8V%T\n`\nend\n", &name) == "cat");
  CHECK(name == "cat.txt");
  CHECK(decode_uuencode("begin 644 x\r\n%:&5L;&\\`\r\n`\r\nend\r\n") == "hello");
  CHECK(decode_uuencode("") == "");
}
