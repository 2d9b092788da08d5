// hd/templates/compose.hpp: well-formed, threading, and no header or recipient injection.
#include "hd/templates/compose.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace hd::templates;

namespace {

mail_parts base() {
  mail_parts p;
  p.from = {"Example Support", "support@example.com"};
  p.to = {"Åsa Bjørnstad", "asa@fjordkraft-eksempel.no"};
  p.subject = "[#12] Vi har mottatt henvendelsen din: Skriveren på kontoret";
  p.text = "Hei Åsa,\n\nTakk.\n";
  p.message_id = "hd.12.1700000000.abc@helpdesk.example.com";
  p.in_reply_to = "c0ffee.1@fjordkraft-eksempel.no";
  p.references = {"root@x.no"};
  p.date = 1700000000;
  p.x_loop = "support@example.com";
  p.language = "no";
  return p;
}

// The header block as (name, unfolded value) pairs; checks line structure on the way.
std::vector<std::pair<std::string, std::string>> headers(const std::string& bytes) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t end = bytes.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  std::string block = bytes.substr(0, end + 2);
  for (std::size_t pos = 0; pos < block.size();) {
    std::size_t nl = block.find("\r\n", pos);
    REQUIRE(nl != std::string::npos);
    std::string line = block.substr(pos, nl - pos);
    pos = nl + 2;
    REQUIRE_FALSE(line.empty());
    if (line[0] == ' ' || line[0] == '\t') {
      REQUIRE_FALSE(out.empty());
      out.back().second += line;
      continue;
    }
    std::size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    out.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return out;
}

void check_wellformed(const std::string& bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    CHECK(c < 0x80);  // 7-bit clean
    if (c == '\n') CHECK((i > 0 && bytes[i - 1] == '\r'));
    if (c == '\r') CHECK((i + 1 < bytes.size() && bytes[i + 1] == '\n'));
  }
  std::size_t line_start = 0;
  for (std::size_t nl = bytes.find("\r\n"); nl != std::string::npos;
       line_start = nl + 2, nl = bytes.find("\r\n", line_start)) {
    CHECK(nl - line_start <= 998);
  }
}

const std::set<std::string> allowed_headers{"Date",
                                            "From",
                                            "To",
                                            "Subject",
                                            "Message-ID",
                                            "In-Reply-To",
                                            "References",
                                            "Auto-Submitted",
                                            "X-Auto-Response-Suppress",
                                            "X-Loop",
                                            "MIME-Version",
                                            "Content-Language",
                                            "Content-Type",
                                            "Content-Transfer-Encoding"};

}  // namespace

TEST_CASE("compose: a plain-text acknowledgement") {
  auto got = compose(base());
  REQUIRE(got.has_value());
  const std::string& b = got->bytes;
  check_wellformed(b);
  auto h = headers(b);
  std::multiset<std::string> names;
  for (auto& [n, v] : h) names.insert(n);
  for (const char* want : {"Date", "From", "To", "Subject", "Message-ID", "In-Reply-To",
                           "References", "Auto-Submitted", "X-Loop", "MIME-Version"}) {
    CAPTURE(want);
    CHECK(names.count(want) == 1);
  }
  CHECK(b.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
  CHECK(b.find("Message-ID: <hd.12.1700000000.abc@helpdesk.example.com>\r\n") != std::string::npos);
  CHECK(b.find("In-Reply-To: <c0ffee.1@fjordkraft-eksempel.no>\r\n") != std::string::npos);
  CHECK(b.find("References: <root@x.no>\r\n <c0ffee.1@fjordkraft-eksempel.no>\r\n") !=
        std::string::npos);
  CHECK(b.find("Auto-Submitted: auto-replied\r\n") != std::string::npos);
  CHECK(b.find("From: \"Example Support\" <support@example.com>\r\n") != std::string::npos);
  CHECK(b.find("To: =?utf-8?b?w4VzYSBCasO4cm5zdGFk?= <asa@fjordkraft-eksempel.no>\r\n") !=
        std::string::npos);
  CHECK(b.find("Subject: =?utf-8?b?") != std::string::npos);
  CHECK(b.find("Content-Transfer-Encoding: quoted-printable\r\n") != std::string::npos);
  CHECK(b.find("Hei =C3=85sa,\r\n\r\nTakk.\r\n") != std::string::npos);
  CHECK(b.find("Content-Language: no\r\n") != std::string::npos);
}

TEST_CASE("compose: HTML makes multipart/alternative") {
  mail_parts p = base();
  p.html = "<p>Hei &amp; velkommen</p>\n";
  auto got = compose(p);
  REQUIRE(got.has_value());
  check_wellformed(got->bytes);
  std::size_t ct = got->bytes.find("Content-Type: multipart/alternative; boundary=\"");
  REQUIRE(ct != std::string::npos);
  std::size_t q = got->bytes.find('"', ct + 47);
  std::string boundary = got->bytes.substr(ct + 47, q - ct - 47);
  CHECK(boundary.starts_with("=_"));
  CHECK(got->bytes.find("\r\n--" + boundary + "\r\nContent-Type: text/plain") != std::string::npos);
  CHECK(got->bytes.find("\r\n--" + boundary + "\r\nContent-Type: text/html") != std::string::npos);
  CHECK(got->bytes.find("\r\n--" + boundary + "--\r\n") != std::string::npos);
}

TEST_CASE("compose: hostile customer input never adds a header or a recipient") {
  struct row {
    const char* name;
    const char* subject;
    const char* to_name;
    const char* in_reply_to;
  };
  static const std::string long_subject(3000, 'x');
  for (const row& r : {
           row{"CRLF in subject", "hi\r\nBcc: victim@evil.example", "Jan", "a@b"},
           row{"LF in subject", "hi\nBcc: victim@evil.example\n\nbody", "Jan", "a@b"},
           row{"CR in subject", "hi\rTo: x@evil.example", "Jan", "a@b"},
           row{"encoded CRLF", "=?utf-8?q?hi=0D=0ABcc:_victim@evil.example?=", "Jan", "a@b"},
           row{"encoded word in name", "hi", "=?utf-8?q?x=0D=0ABcc:_v@evil.example?=", "a@b"},
           row{"CRLF in name", "hi", "Jan\r\nBcc: victim@evil.example", "a@b"},
           row{"quote break in name", "hi", "Jan\" <victim@evil.example>, \"x", "a@b"},
           row{"NUL and controls", "a\x01\x7f\tb",
               "J\x0b"
               "an",
               "a@b"},
           row{"header in msg-id", "hi", "Jan", "a@b>\r\nBcc: victim@evil.example"},
           row{"spaces in msg-id", "hi", "Jan", "a@b> <c@d"},
           row{"long subject", long_subject.c_str(), "Jan", "a@b"},
       }) {
    SUBCASE(r.name) {
      mail_parts p = base();
      p.subject = r.subject;
      p.to.name = r.to_name;
      p.in_reply_to = r.in_reply_to;
      p.references.clear();
      auto got = compose(p);
      REQUIRE(got.has_value());
      check_wellformed(got->bytes);
      int to_count = 0;
      for (auto& [n, v] : headers(got->bytes)) {
        CAPTURE(n);
        CHECK(allowed_headers.contains(n));
        if (n == "To") {
          ++to_count;
          CHECK(v.find("evil") == std::string::npos);
          CHECK(v.ends_with("<asa@fjordkraft-eksempel.no>"));
          CHECK(v.find('<') == v.rfind('<'));
        }
        if (n == "Subject") CHECK(v.find("=?utf-8?q?") == std::string::npos);
      }
      CHECK(to_count == 1);
      CHECK(got->bytes.find("\r\nBcc") == std::string::npos);
    }
  }
}

TEST_CASE("compose: unsafe addresses are refused") {
  for (const char* addr :
       {"", "no-at", "a@b\r\nRCPT TO:<x@y>", "a b@c", "<a@b>", "a@b,c@d", "\"q\"@b", "a@", "@b",
        "a..b@c", "a@b..c", "Åsa@x.no", "a@[127.0.0.1]", "a@b>"}) {
    CAPTURE(addr);
    mail_parts p = base();
    p.to.addr = addr;
    auto got = compose(p);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == compose_errc::bad_address);
  }
  CHECK(is_safe_addr_spec("first.last+tag@sub.example.co.uk"));
  CHECK(is_safe_addr_spec("o'brien@example.ie"));
  CHECK(is_safe_addr_spec("a=b?c@example.ie"));
  CHECK_FALSE(is_safe_addr_spec("=?utf-8?b?QmN?=x@example.ie"));  // read back as another address
}

TEST_CASE("quoted_printable") {
  struct row {
    std::string in, want;
  };
  for (const row& r : {
           row{"plain\n", "plain\r\n"},
           row{"trailing space \n", "trailing space=20\r\n"},
           row{"a=b", "a=3Db"},
           row{".\n", "=2E\r\n"},
           row{"From here\n", "=46rom here\r\n"},
           row{"é", "=C3=A9"},
           row{"crlf\r\nkept\r\n", "crlf\r\nkept\r\n"},
       }) {
    CAPTURE(r.in);
    CHECK(quoted_printable(r.in) == r.want);
  }
  std::string qp = quoted_printable(std::string(200, 'a'));
  for (std::size_t pos = 0, nl; (nl = qp.find("\r\n", pos)) != std::string::npos; pos = nl + 2) {
    CHECK(nl - pos <= 76);
  }
}

TEST_CASE("helpers: tag, date, message id, header encoding") {
  CHECK(tag_subject("Hello", "#", 12) == "[#12] Hello");
  CHECK(tag_subject("Re: [#12] Hello", "#", 12) == "Re: [#12] Hello");
  CHECK(tag_subject("", "HD-", 7) == "[HD-7]");
  CHECK(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(rfc5322_date(951782400) == "Tue, 29 Feb 2000 00:00:00 +0000");
  CHECK(make_message_id("hd.1.<x>\r\n", "ex ample.com") == "hd.1.x@example.com");
  CHECK(encode_unstructured("Subject", "plain words") == "plain words");
  CHECK(encode_unstructured("Subject", "Grüße") == "=?utf-8?b?R3LDvMOfZQ==?=");
  std::string folded =
      encode_unstructured("Subject", std::string(50, 'a') + " " + std::string(50, 'b'));
  CHECK(folded.find("\r\n ") != std::string::npos);
  CHECK(encode_mailbox({"A \"B\"", "a@b.c"}) == "=?utf-8?b?QSAiQiI=?= <a@b.c>");
  CHECK(encode_mailbox({"Jan Jansen", "a@b.c"}) == "\"Jan Jansen\" <a@b.c>");
  CHECK(encode_mailbox({"", "a@b.c"}) == "a@b.c");
}

// Two layers stop header injection: control characters are flattened to spaces (one_line),
// and whatever is not printable ASCII is written as encoded words. Each must hold alone, so
// each is tested where the other one cannot hide its loss.
TEST_CASE("compose: layer one, CR and LF are flattened, so the header stays plain and one line") {
  mail_parts p = base();
  p.subject = tag_subject("hi\r\nBcc: victim@evil.example\nX: y", "#", 5);
  CHECK(p.subject == "[#5] hi Bcc: victim@evil.example X: y");
  p.to.name = "Jan\r\nJansen\t\x01";
  auto got = compose(p);
  REQUIRE(got.has_value());
  // Plain text, not encoded words: the flattening did it, not the encoding.
  CHECK(got->bytes.find("\r\nSubject: [#5] hi Bcc: victim@evil.example X: y\r\n") !=
        std::string::npos);
  CHECK(got->bytes.find("\r\nTo: \"Jan Jansen\" <asa@fjordkraft-eksempel.no>\r\n") !=
        std::string::npos);
  CHECK(encode_unstructured("Subject", "a\rb\nc\r\n\r\nd") == "a b c d");
  CHECK(encode_mailbox({"Jan\r\n", "a@b.c"}) == "\"Jan\" <a@b.c>");
}

TEST_CASE("compose: layer two, control characters force an encoded word") {
  for (int c = 0; c < 0x20; ++c) {
    CAPTURE(c);
    CHECK(needs_encoded_word("Jan" + std::string(1, static_cast<char>(c)) + "Jansen"));
  }
  CHECK(needs_encoded_word("Jan\x7f"));
  CHECK(needs_encoded_word("hi\r\nBcc: victim@evil.example"));
  CHECK(needs_encoded_word("Åsa"));
  CHECK(needs_encoded_word("=?utf-8?q?x?="));
  CHECK(needs_encoded_word(std::string(901, 'a')));
  CHECK_FALSE(needs_encoded_word(std::string(900, 'a')));
  CHECK_FALSE(needs_encoded_word("Jan Jansen: [#5] re (x)"));
}

TEST_CASE("compose: attachments make multipart/mixed; names and types cannot reach the header") {
  mail_parts p = base();
  p.html = "<p>Hei</p>";
  std::string binary("\x00\xff\r\n--=_hd_mix_\r\n", 17);
  p.attachments = {
      {"../../etc/rapport \"mars\".pdf\r\nBcc: x@evil.example", "application/pdf", binary},
      {"skjerm.png", "image/png\r\nBcc: y@evil.example", "png"},
      {"", "text/plain", "x"}};
  auto got = compose(p);
  REQUIRE(got.has_value());
  check_wellformed(got->bytes);
  const std::string& b = got->bytes;
  CHECK(b.find("Content-Type: multipart/mixed; boundary=\"=_hd_mix_") != std::string::npos);
  CHECK(b.find("Content-Type: multipart/alternative") != std::string::npos);  // inside
  // Only attr-chars in the parameter: the quote, CR, LF and the folders are encoded or gone.
  CHECK(b.find("filename*=utf-8''rapport%20%22mars%22.pdfBcc%3A%20x%40evil.example\r\n") !=
        std::string::npos);
  CHECK(b.find("Content-Type: application/octet-stream; name*=utf-8''skjerm.png") !=
        std::string::npos);
  CHECK(b.find("filename*=utf-8''attachment\r\n") != std::string::npos);
  CHECK(b.find("\r\nBcc:") == std::string::npos);
  CHECK(b.find("AP8NCi0tPV9oZF9taXhfDQo=") != std::string::npos);  // the bytes, base64
  for (const auto& [name, value] : headers(b)) CHECK(name != "Bcc");
}
