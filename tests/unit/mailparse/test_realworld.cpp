// Issue 17: the causes of the misses on other projects' suites, one fixture each
// (tests/fixtures/realworld/, written by make_realworld.py). Every case failed before its fix.
#include "hd/mailparse/params.hpp"
#include "hd/mailparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace {

std::string read_fixture(const char* name) {
  std::ifstream in(std::string(HD_FIXTURES "/realworld/") + name, std::ios::binary);
  REQUIRE_MESSAGE(in, name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

hd::parsed_message parse_fixture(const char* name) {
  auto m = hd::mailparse::parse(read_fixture(name));
  REQUIRE(m.has_value());
  return std::move(*m);
}

hd::parsed_message parse_ok(const std::string& raw, const hd::mailparse::limits& lim = {}) {
  auto m = hd::mailparse::parse(raw, lim);
  REQUIRE(m.has_value());
  return std::move(*m);
}

bool has_defect(const hd::parsed_message& m, std::string_view part) {
  return std::any_of(m.defects.begin(), m.defects.end(),
                     [&](const std::string& d) { return d.find(part) != std::string::npos; });
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

TEST_CASE("17.1 charsets: detected when missing or contradicted, the label wins when it fits") {
  struct row {
    const char* file;
    const char* want_text;     // a piece of the body text; nullptr: not checked
    const char* want_subject;  // nullptr: not checked
  };
  const row rows[] = {
      {"gb2312-body-latin1-label.eml", "您好，我的打印机坏了", nullptr},
      {"gb2312-body-unlabelled.eml", "您好，我的打印机坏了", nullptr},
      {"gb18030-raw-subject.eml", nullptr, "打印机问题：无法连接"},
      {"sjis-subject-iso2022jp-body.eml", "プリンターが壊れました。至急", "プリンターが壊れました"},
      {"iso2022jp-unlabelled.eml", "プリンターが壊れました。至急対応をお願いします。", nullptr},
      {"iso2022jp-nec-extension.eml", "手順: ①②③ Ⅰ", nullptr},
      {"latin1-label-wins.eml", "Grüße aus Köln. Der Drucker im Büro", nullptr},
      {"cp1251-label-wins.eml", "Здравствуйте, принтер не работает.", nullptr},
  };
  for (const row& r : rows) {
    SUBCASE(r.file) {
      auto m = parse_fixture(r.file);
      if (r.want_text) CHECK_MESSAGE(contains(m.text, r.want_text), m.text);
      if (r.want_subject) CHECK(m.subject.value_or("") == r.want_subject);
      CHECK_FALSE(contains(m.text, "\x1b"));
    }
  }
}

TEST_CASE("17.1 ISO-2022-JP: a bad byte costs one character, not the rest of the line") {
  auto m = parse_fixture("iso2022jp-bad-byte.eml");
  CHECK_MESSAGE(contains(m.text, "印刷\xEF\xBF\xBD"), m.text);
  CHECK_MESSAGE(contains(m.text, "できません\nnext line"), m.text);
}

TEST_CASE("17.2 no usable From: Sender, Reply-To, Return-Path, with a defect") {
  struct row {
    const char* file;
    const char* want_addr;
    const char* want_defect;
  };
  const row rows[] = {
      {"from-empty-angle.eml", "portal@example.net", "sender was taken from Sender"},
      {"no-from-reply-to.eml", "kari@example.no", "sender was taken from Reply-To"},
      {"no-from-return-path.eml", "bounces+kari=example.no@mailer.example.net",
       "sender was taken from Return-Path"},
      {"two-from.eml", "anna@example.se", "the others were: bo@example.se"},
  };
  for (const row& r : rows) {
    SUBCASE(r.file) {
      auto m = parse_fixture(r.file);
      REQUIRE(m.from.has_value());
      CHECK(m.from->addr == r.want_addr);
      CHECK(has_defect(m, r.want_defect));
    }
  }
}

TEST_CASE("17.3 damaged header blocks: the headers after the damage are read") {
  auto colon = parse_fixture("header-line-without-colon.eml");
  CHECK(colon.subject == "printer");
  CHECK(colon.message_id == "h1@example.no");
  CHECK(colon.text == "the body\n");
  CHECK(has_defect(colon, "line without a colon"));

  auto cont = parse_fixture("unindented-continuation.eml");
  CHECK(cont.subject == "printer");
  REQUIRE(cont.to.size() == 3);
  CHECK(cont.to[2].addr == "third@example.com");
  CHECK(cont.text == "the body\n");

  auto junk = parse_fixture("junk-first-line.eml");
  REQUIRE(junk.from.has_value());
  CHECK(junk.from->addr == "ole@example.no");
  CHECK(junk.subject == "forwarded by the gateway");
  CHECK(junk.text == "the body\n");
  CHECK(has_defect(junk, "junk line before the headers"));

  // Still: two body-like lines without the blank line start the body.
  auto nosep = parse_ok("From: a@b.no\nSubject: s\nHello there\nsecond line\n");
  CHECK(nosep.subject == "s");
  CHECK(contains(nosep.text, "Hello there\nsecond line"));
}

TEST_CASE("17.4 one oversized header costs that header, not the block") {
  std::string x = "X-Huge: " + std::string(1024 * 1024, 'a') + "\r\n";
  std::string many_to = "To: ";
  for (int i = 0; i < 10000; ++i) many_to += "user" + std::to_string(i) + "@example.com, ";
  many_to += "last@example.com\r\n";
  const std::string tail =
      "From: Ole <ole@example.no>\r\nSubject: kept\r\nMessage-ID: <id@example.no>\r\n\r\nbody\r\n";
  for (const std::string& big : {x, many_to}) {
    auto m = parse_ok("Received: from x\r\n" + big + tail);
    REQUIRE(m.from.has_value());
    CHECK(m.from->addr == "ole@example.no");
    CHECK(m.subject == "kept");
    CHECK(m.message_id == "id@example.no");
    CHECK(m.text == "body\n");
    CHECK(has_defect(m, "max_header_field_bytes"));
  }
  // Many headers: past max_header_fields only the identity headers are read.
  std::string many = "Received: x\r\n";
  for (int i = 0; i < 3000; ++i) many += "X-Spam-" + std::to_string(i) + ": y\r\n";
  auto m = parse_ok(many + tail);
  CHECK(m.subject == "kept");
  CHECK(m.headers.size() <= 1000 + 3);
  CHECK(has_defect(m, "max_header_fields"));
  // Part headers too: one huge part header does not hide the part.
  std::string part = "From: a@b.no\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
                     ("X-Huge: " + std::string(300 * 1024, 'z') + "\r\n") +
                     "Content-Type: text/plain\r\n\r\npart text\r\n--b--\r\n";
  CHECK(contains(parse_ok(part).text, "part text"));
}

TEST_CASE("17.5 parameters: linear, capped, and found without the ';'") {
  std::string ct = "Content-Type: application/octet-stream; name=\"a.bin\"";
  for (int i = 0; i < 40000; ++i) ct += ";\r\n p" + std::to_string(i) + "=v";
  std::string raw = "From: a@b.no\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
                    ct + "\r\n\r\nDATA\r\n--b--\r\n";
  auto m = parse_ok(raw);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename == "a.bin");
  CHECK(has_defect(m, "max_params"));

  // The budget is asked inside parameter parsing.
  hd::mailparse::param_limits pl;
  pl.max_params = 1000000;
  int calls = 0;
  pl.over_budget = [&] { return ++calls > 2; };
  std::vector<std::string> defects;
  auto p = hd::mailparse::parse_params(ct.substr(14), &defects, pl);
  CHECK(p.params.size() < 1000);
  CHECK(calls == 3);

  auto missing = parse_fixture("boundary-without-semicolon.eml");
  CHECK(missing.text == "first part");
  REQUIRE(missing.attachments.size() == 1);
  CHECK(missing.attachments[0].filename == "data.bin");
  CHECK(hd::mailparse::parse_params("multipart/mixed\r\n boundary=\"XyZ\"").get("boundary") ==
        "XyZ");
  CHECK(hd::mailparse::parse_params("text/plain charset=utf-8 format=flowed").get("format") ==
        "flowed");
  CHECK(hd::mailparse::parse_params("attachment; filename=\"a b.txt\" size=3").get("size") == "3");
  CHECK(hd::mailparse::parse_params("text/plain; name=This is a test.txt").get("name") ==
        "This is a test.txt");
}

TEST_CASE("17.6 nothing silently dropped") {
  auto two = parse_fixture("second-html-part.eml");
  CHECK(two.html.has_value());
  CHECK(contains(two.html.value_or(""), "first html"));
  bool second =
      std::any_of(two.attachments.begin(), two.attachments.end(), [](const hd::attachment& a) {
        return a.content_type == "text/html" && contains(a.data, "second html");
      });
  CHECK(second);

  auto pdf = parse_fixture("qp-binary-attachment.eml");
  REQUIRE(pdf.attachments.size() == 1);
  // Every hard line break is CRLF; the last one belongs to the boundary (RFC 2046 5.1.1).
  CHECK(pdf.attachments[0].data ==
        "%PDF-1.4\r\n1 0 obj\r\n<< /Type /Catalog >>\r\nendobj\r\n%%EOF");

  std::string raw = read_fixture("invalid-inner-message.eml");
  auto fwd = parse_ok(raw);
  REQUIRE(fwd.attachments.size() == 1);
  const std::string& eml = fwd.attachments[0].data;
  std::size_t start = raw.find("From: broken");
  std::size_t end = raw.find("\r\n--b--");
  CHECK(eml == raw.substr(start, end - start));
  CHECK(contains(eml, "The inner text, without its boundary.\r\n\r\n\r\nTwo blank lines"));
}

TEST_CASE("17.7 robots are recognised from headers and structure, never from the subject") {
  auto ooo = parse_fixture("out-of-office-rfc3834.eml");
  CHECK(ooo.robot.auto_submitted);
  CHECK(ooo.robot.out_of_office);
  CHECK_FALSE(ooo.robot.delivery_status);
  CHECK(ooo.robot.suppress_auto_reply);
  CHECK(ooo.robot.reason == "Auto-Submitted: auto-replied");

  auto ex = parse_fixture("out-of-office-exchange.eml");
  CHECK(ex.robot.auto_submitted);
  CHECK(ex.robot.suppress_auto_reply);
  CHECK(ex.robot.reason == "Auto-Submitted: auto-generated");

  auto vendor = parse_fixture("autoreply-vendor-headers.eml");
  CHECK(vendor.robot.auto_submitted);
  CHECK(vendor.robot.out_of_office);
  CHECK(vendor.robot.reason == "X-Autoreply");

  auto bulk = parse_fixture("precedence-bulk.eml");
  CHECK(bulk.robot.bulk);
  CHECK_FALSE(bulk.robot.auto_submitted);
  CHECK(bulk.robot.suppress_auto_reply);

  auto null_path =
      parse_ok("Return-Path: <>\r\nFrom: x@example.net\r\nSubject: Re: printer\r\n\r\nbody\r\n");
  CHECK(null_path.robot.auto_submitted);
  CHECK(null_path.robot.reason == "Return-Path: <>");
  auto no = parse_ok("Auto-Submitted: no\r\nFrom: x@example.net\r\n\r\nbody\r\n");
  CHECK_FALSE(no.robot.any());

  auto person = parse_fixture("subject-only-not-robot.eml");
  CHECK_FALSE(person.robot.any());
  CHECK(person.robot.reason.empty());

  auto dsn = parse_fixture("dsn-rfc3464.eml");
  CHECK(dsn.robot.delivery_status);
  CHECK(dsn.robot.auto_submitted);
  CHECK_FALSE(dsn.robot.out_of_office);
  CHECK(dsn.robot.original_message_id == "reply-42-7@helpdesk.example.com");
  REQUIRE(dsn.robot.recipients.size() == 2);
  CHECK(dsn.robot.recipients[0].address == "gone@customer.example");
  CHECK(dsn.robot.recipients[0].action == "failed");
  CHECK(dsn.robot.recipients[0].status == "5.1.1");
  CHECK(contains(dsn.robot.recipients[0].diagnostic, "User unknown"));
  CHECK(dsn.robot.recipients[1].address == "slow@customer.example");
  CHECK(dsn.robot.recipients[1].action == "delayed");
  CHECK(dsn.robot.recipients[1].status == "4.4.1");
}
