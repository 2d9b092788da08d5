#include "hd/mailparse/params.hpp"

#include <doctest/doctest.h>

using hd::mailparse::parse_params;

TEST_CASE("MIME parameters as real mail writes them") {
  struct row {
    const char* name;
    const char* raw;
    const char* param;
    const char* want;  ///< nullptr: parameter absent
  };
  const row rows[] = {
      {"quoted", "attachment; filename=\"report.pdf\"", "filename", "report.pdf"},
      {"token", "attachment; filename=report.pdf", "filename", "report.pdf"},
      {"quoted with ;", "attachment; filename=\"a;b.txt\"; size=3", "filename", "a;b.txt"},
      {"after a quoted ;", "attachment; filename=\"a;b.txt\"; size=3", "size", "3"},
      {"unquoted with spaces", "text/plain; name=This is a test.txt", "name", "This is a test.txt"},
      {"escaped quote", R"(attachment; filename="say \"hi\".txt")", "filename", "say \"hi\".txt"},
      {"folded", "attachment;\r\n\tfilename=\"msg.txt\"", "filename", "msg.txt"},
      {"case-insensitive name", "text/plain; CHARSET=utf-8", "charset", "utf-8"},
      {"RFC 2231 charset", "attachment; filename*=utf-8''%C3%A5.txt", "filename", "\xC3\xA5.txt"},
      {"RFC 2231 with language", "attachment; filename*=iso-8859-1'nl'caf%E9.txt", "filename",
       "caf\xC3\xA9.txt"},
      {"RFC 2231 continuations", "attachment; filename*0=\"long\"; filename*1=\"name.txt\"",
       "filename", "longname.txt"},
      {"RFC 2231 extended continuations",
       "attachment; filename*0*=utf-8''%C3; filename*1*=%A5; filename*2=\".txt\"", "filename",
       "\xC3\xA5.txt"},
      {"RFC 2231 out of order", "attachment; filename*1=\"b\"; filename*0=\"a\"", "filename", "ab"},
      {"RFC 2231 wins over plain", "attachment; filename=\"x.txt\"; filename*=utf-8''y.txt",
       "filename", "y.txt"},
      {"RFC 2047 in quotes", "attachment; filename=\"=?UTF-8?B?w6UudHh0?=\"", "filename",
       "\xC3\xA5.txt"},
      {"raw 8-bit", "attachment; filename=\"Eelanal\xFC\xFCsi.jpg\"", "filename",
       "Eelanal\xC3\xBC\xC3\xBCsi.jpg"},
      {"unterminated quote", "attachment; filename=\"open.txt", "filename", "open.txt"},
      {"empty value", "attachment; filename=", "filename", ""},
      {"missing", "attachment", "filename", nullptr},
      {"junk between", "attachment; ; ;filename=a.txt", "filename", "a.txt"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      auto got = parse_params(r.raw).get(r.param);
      if (r.want == nullptr) {
        CHECK_FALSE(got.has_value());
      } else {
        CHECK(got.value_or("<none>") == r.want);
      }
    }
  }
}

TEST_CASE("the leading token") {
  CHECK(parse_params(" Text/Plain ; charset=utf-8").token == "text/plain");
  CHECK(parse_params("ATTACHMENT").token == "attachment");
  CHECK(parse_params("").token.empty());
}
