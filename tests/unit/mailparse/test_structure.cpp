// Whole messages: structure, headers, bodies and attachments as real mail presents them.
#include "hd/common/utf8.hpp"
#include "hd/mailparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace {

hd::parsed_message parse_ok(const std::string& raw, const hd::mailparse::limits& lim = {}) {
  auto m = hd::mailparse::parse(raw, lim);
  REQUIRE(m.has_value());
  return std::move(*m);
}

bool has_defect(const hd::parsed_message& m, std::string_view part) {
  return std::any_of(m.defects.begin(), m.defects.end(),
                     [&](const std::string& d) { return d.find(part) != std::string::npos; });
}

std::string crlf(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("address headers") {
  struct row {
    const char* name;
    const char* header;
    std::size_t want_count;
    const char* want_first_name;
    const char* want_first_addr;
  };
  const row rows[] = {
      {"plain", "To: a@b.no\n", 1, "", "a@b.no"},
      {"named", "To: \"Berg, \xC3\x85sa\" <asa@b.no>, c@d.no\n", 2, "Berg, \xC3\x85sa", "asa@b.no"},
      {"encoded name", "To: =?iso-8859-1?q?=C5sa_Berg?= <asa@b.no>\n", 1, "\xC3\x85sa Berg",
       "asa@b.no"},
      {"encoded name, padded words back to back",
       "To: =?UTF-8?B?w4U=?= =?UTF-8?B?c2E=?= <asa@b.no>\n", 1, "\xC3\x85sa", "asa@b.no"},
      {"raw latin-1 name", "To: \xC5sa Berg <asa@b.no>\n", 1, "\xC3\x85sa Berg", "asa@b.no"},
      {"empty group", "To: undisclosed-recipients:;\n", 0, "", ""},
      {"empty group without ;", "To: undisclosed-recipients:\n", 0, "", ""},
      {"group with members", "To: team: a@b.no, c@d.no;\n", 2, "", "a@b.no"},
      {"two To headers", "To: a@b.no\nTo: c@d.no\n", 2, "", "a@b.no"},
      {"comment name", "To: a@b.no (Anne)\n", 1, "Anne", "a@b.no"},
      {"folded", "To: a@b.no,\n  c@d.no\n", 2, "", "a@b.no"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      auto m = parse_ok(std::string("From: x@y.no\n") + r.header + "Subject: s\n\nbody\n");
      REQUIRE(m.to.size() == r.want_count);
      if (r.want_count > 0) {
        CHECK(m.to[0].name == r.want_first_name);
        CHECK(m.to[0].addr == r.want_first_addr);
      }
    }
  }
}

TEST_CASE("subjects and threading headers") {
  auto m = parse_ok(
      "From: a@b.no\nSubject: =?UTF-8?B?w6U=?= =?UTF-8?B?w6U=?=\n =?UTF-8?Q?_ok?=\n"
      "Message-ID: <id@x>\nIn-Reply-To: <p1@x>\nReferences: <p0@x> <p1@x>\n"
      "Date: Tue, 5 Mar 2024 14:03:07 +0100\n\nbody\n");
  CHECK(m.subject == "\xC3\xA5\xC3\xA5 ok");
  CHECK(m.message_id == "id@x");
  CHECK(m.in_reply_to == "p1@x");
  CHECK(m.references == std::vector<std::string>{"p0@x", "p1@x"});
  CHECK(m.date == 1709643787);
  auto bad = parse_ok("From: a@b.no\nDate: yesterday-ish\nSubject:\n\nbody\n");
  CHECK_FALSE(bad.date.has_value());
  CHECK(bad.subject == "");
  CHECK(has_defect(bad, "Date"));
  auto none = parse_ok("From: a@b.no\n\nbody\n");
  CHECK_FALSE(none.subject.has_value());
  CHECK_FALSE(none.message_id.has_value());
}

TEST_CASE("framing: mbox From line, CRLF or LF, NUL bytes, no headers, no separator") {
  const std::string plain = "From: a@b.no\nSubject: hi\n\nline one\nline two\n";
  auto lf = parse_ok(plain);
  auto crlf_m = parse_ok(crlf(plain));
  CHECK(lf.text == crlf_m.text);
  CHECK(crlf_m.text.find('\r') == std::string::npos);
  auto mbox = parse_ok("From a@b.no Tue Mar  5 13:03:07 2024\n" + plain);
  CHECK(mbox.subject == "hi");
  CHECK(mbox.from->addr == "a@b.no");
  CHECK(has_defect(mbox, "mbox"));
  const char nul_raw[] = "From: a@b.no\nSubject: n\n\nab\0cd\n";
  auto nul = parse_ok(std::string(nul_raw, sizeof nul_raw - 1));
  CHECK(nul.text.find('\0') == std::string::npos);
  CHECK(nul.text.find("abcd") != std::string::npos);
  auto headless = parse_ok("just some words\nand more\n");
  CHECK(headless.text.find("just some words") != std::string::npos);
  CHECK(has_defect(headless, "no header"));
  auto no_sep = parse_ok("From: a@b.no\nSubject: s\nthis is the body\nmore body\n");
  CHECK(no_sep.text.find("this is the body") != std::string::npos);
  auto spaced = parse_ok("From  : a@b.no\nSubject   : s\n\nbody\n");
  CHECK(spaced.subject == "s");
  CHECK(spaced.from->addr == "a@b.no");
  CHECK(hd::mailparse::parse("\r\n\r\n").error().code == hd::mailparse::errc::no_headers);
}

TEST_CASE("bodies: text/plain parts, HTML only when there is no text") {
  const std::string alt =
      "From: a@b.no\nContent-Type: multipart/alternative; boundary=x\n\n--x\n"
      "Content-Type: text/plain; charset=utf-8\n\nplain body\n--x\n"
      "Content-Type: text/html; charset=utf-8\n\n<p>html <b>body</b></p>\n--x--\n";
  auto m = parse_ok(alt);
  CHECK(m.text == "plain body");
  REQUIRE(m.html);
  CHECK(m.html->find("<b>body</b>") != std::string::npos);

  auto html_only = parse_ok(
      "From: a@b.no\nContent-Type: text/html; "
      "charset=iso-8859-1\n\n<p>Hej&nbsp;d\xE5</p><p>Two</p>\n");
  CHECK(html_only.text ==
        "Hej\xC2\xA0"
        "d\xC3\xA5\n\nTwo");

  auto nested = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
      "Content-Type: multipart/related; boundary=r\n\n--r\n"
      "Content-Type: multipart/alternative; boundary=a\n\n--a\n"
      "Content-Type: text/plain\n\nhello\n--a\nContent-Type: text/html\n\n<p>hello</p>\n--a--\n"
      "--r\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Disposition: inline\n"
      "Content-Transfer-Encoding: base64\n\niVBORw==\n--r--\n"
      "--o\nContent-Type: application/pdf; name=\"f.pdf\"\nContent-Transfer-Encoding: base64\n\n"
      "JVBERg==\n--o--\n");
  CHECK(nested.text == "hello");
  REQUIRE(nested.attachments.size() == 2);
  CHECK(nested.attachments[0].content_id == "logo@x");
  CHECK(nested.attachments[0].disposition == "inline");
  CHECK(nested.attachments[0].filename == "part-1.png");
  CHECK(nested.attachments[1].filename == "f.pdf");
  CHECK(nested.attachments[1].data == "%PDF");

  auto two_plain = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
      "one\n--b\nContent-Type: image/gif\n\nGIF\n--b\nContent-Type: text/plain\n\ntwo\n--b--\n");
  CHECK(two_plain.text == "one\ntwo");

  auto flowed = parse_ok(
      "From: a@b.no\nContent-Type: text/plain; format=flowed\n\nThis is \nflowed.\n> quoted "
      "\nline\n");
  CHECK(flowed.text == "This is flowed.\n> quoted \nline\n");
}

TEST_CASE("broken structure") {
  auto unclosed = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
      "no closing boundary\n");
  CHECK(unclosed.text.find("no closing boundary") != std::string::npos);

  auto never_opened = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=nowhere\n\nplain preamble text\n");
  CHECK(never_opened.text.find("plain preamble text") != std::string::npos);

  auto boundary_in_text = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
      "a line with --b in it\n--b--\n");
  CHECK(boundary_in_text.text == "a line with --b in it");

  auto bad_type = parse_ok("From: a@b.no\nContent-Type: garbage\n\nstill text\n");
  CHECK(bad_type.text.find("still text") != std::string::npos);

  auto forwarded = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
      "see below\n--b\nContent-Type: message/rfc822\n\nFrom: c@d.no\nSubject: inner\n\ninner body\n"
      "--b--\n");
  CHECK(forwarded.text == "see below");
  REQUIRE(forwarded.attachments.size() == 1);
  CHECK(forwarded.attachments[0].content_type == "message/rfc822");
  CHECK(forwarded.attachments[0].filename == "inner.eml");
  CHECK(forwarded.attachments[0].data.find("inner body") != std::string::npos);
}

TEST_CASE("transfer encodings in messages") {
  struct row {
    const char* name;
    const char* cte;
    const char* body;
    const char* want;
  };
  const row rows[] = {
      {"base64", "base64", "aGVsbG8gd29ybGQ=\n", "hello world"},
      {"base64 with padding in the middle (GMime #150)", "base64", "aGVsbG8=\nIHdvcmxk\n",
       "hello world"},
      {"quoted-printable", "quoted-printable", "caf=C3=A9 =\nau lait\n", "caf\xC3\xA9 au lait\n"},
      {"bogus 'quoted'", "quoted", "caf=C3=A9\n", "caf\xC3\xA9\n"},
      {"bogus '7-bit'", "7-bit", "plain\n", "plain\n"},
      {"bogus 'utf-8'", "utf-8", "caf\xC3\xA9\n", "caf\xC3\xA9\n"},
      {"bogus '8bit;'", "8bit;", "plain\n", "plain\n"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      auto m = parse_ok(std::string("From: a@b.no\nContent-Type: text/plain; charset=utf-8\n"
                                    "Content-Transfer-Encoding: ") +
                        r.cte + "\n\n" + r.body);
      CHECK(m.text == r.want);
    }
  }
  auto uu = parse_ok(
      "From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
      "see file\n--b\nContent-Type: application/octet-stream; name=cat.txt\n"
      "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 cat.txt\n#8V%T\n`\nend\n--b--\n");
  REQUIRE(uu.attachments.size() == 1);
  CHECK(uu.attachments[0].data == "cat");
}

TEST_CASE("attachment filenames: attacker-controlled, made safe") {
  struct row {
    const char* name;
    const char* headers;
    const char* want;
  };
  const row rows[] = {
      {"filename", "Content-Disposition: attachment; filename=\"a.pdf\"", "a.pdf"},
      {"filename* wins",
       "Content-Disposition: attachment; filename=\"a.pdf\"; filename*=utf-8''%C3%A5.pdf",
       "\xC3\xA5.pdf"},
      {"name from Content-Type", "Content-Type: application/pdf; name=\"n.pdf\"", "n.pdf"},
      {"encoded name", "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A5.pdf?=\"",
       "r\xC3\xA5.pdf"},
      {"unix path", "Content-Disposition: attachment; filename=\"../../etc/passwd\"", "passwd"},
      {"windows path", "Content-Disposition: attachment; filename=\"C:\\\\x\\\\evil.exe\"",
       "evil.exe"},
      {"control characters", "Content-Disposition: attachment; filename*=utf-8''a%0A%0Db%07.txt",
       "ab.txt"},
      {"bidi override", "Content-Disposition: attachment; filename*=utf-8''x%E2%80%AEfdp.exe",
       "xfdp.exe"},
      {"hidden file", "Content-Disposition: attachment; filename=\"...profile\"", "profile"},
      {"no name", "Content-Disposition: attachment", "part-1.pdf"},
      {"only a path", "Content-Disposition: attachment; filename=\"dir/\"", "part-1.pdf"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      std::string headers = r.headers;
      if (headers.find("Content-Type") == std::string::npos)
        headers = "Content-Type: application/pdf\n" + headers;
      auto m = parse_ok("From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" +
                        headers + "\n\n%PDF\n--b--\n");
      REQUIRE(m.attachments.size() == 1);
      CHECK(m.attachments[0].filename == r.want);
    }
  }
}

TEST_CASE("limits are defects, never failures") {
  hd::mailparse::limits lim;
  lim.max_parts = 3;
  std::string many = "From: a@b.no\nContent-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 10; ++i)
    many += "--b\nContent-Type: text/plain\n\npart " + std::to_string(i) + "\n";
  many += "--b--\n";
  auto m = parse_ok(many, lim);
  CHECK(has_defect(m, "MIME parts"));
  CHECK(m.text.find("part 1") != std::string::npos);
  CHECK(m.text.find("part 5") == std::string::npos);

  lim = {};
  lim.max_header_bytes = 200;
  std::string big = "From: a@b.no\nSubject: kept\n";
  for (int i = 0; i < 50; ++i) big += "X-Junk: 0123456789\n";
  big += "\nthe body\n";
  auto h = parse_ok(big, lim);
  CHECK(h.subject == "kept");
  CHECK(h.text.find("the body") != std::string::npos);
  CHECK(has_defect(h, "header block"));
}
