// limits::over_budget (the per-message time budget, with the clock injected), the decoded size
// limit and the repairs of hostile headers and filenames. No timing: the budget checker here
// counts its calls and answers "time is up" from call N on.
#include "hd/common/utf8.hpp"
#include "hd/mailparse/html_text.hpp"
#include "hd/mailparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>

namespace {

using hd::mailparse::k_budget_defect;

// A checker that answers false for its first `n` calls and true afterwards; `calls` counts.
std::function<bool()> fires_after(int n, std::shared_ptr<int> calls) {
  return [n, calls] { return ++*calls > n; };
}

bool has_defect(const hd::parsed_message& m, std::string_view part) {
  return std::any_of(m.defects.begin(), m.defects.end(),
                     [&](const std::string& d) { return d.find(part) != std::string::npos; });
}

// A multipart/mixed mail with `parts` text parts "part 1" .. "part N".
std::string multipart(int parts) {
  std::string m =
      "From: a@example.net\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 1; i <= parts; ++i)
    m += "--b\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
  return m + "--b--\r\n";
}

}  // namespace

TEST_CASE("budget: the checker stops the parse where it fires") {
  struct row {
    const char* name;
    int fire_after;          // calls answered false before the first true; -1: no checker
    bool want_defect;        // parse_budget_exceeded recorded
    bool want_subject;       // the headers were read
    std::size_t want_parts;  // "part N" lines in the text
  };
  const row rows[] = {
      {"no checker", -1, false, true, 20},
      {"never fires", 1000000, false, true, 20},
      {"fires at once: nothing read", 0, true, false, 0},
      {"fires after GMime's pass: headers skipped too", 1, true, false, 0},
      {"fires in the walk: the first parts kept", 6, true, true, 3},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      hd::mailparse::limits lim;
      auto calls = std::make_shared<int>(0);
      if (r.fire_after >= 0) lim.over_budget = fires_after(r.fire_after, calls);
      auto got = hd::mailparse::parse(multipart(20), lim);
      REQUIRE(got.has_value());
      CHECK(has_defect(*got, k_budget_defect) == r.want_defect);
      CHECK(got->subject.has_value() == r.want_subject);
      std::size_t got_parts = 0;
      for (std::size_t p = got->text.find("part "); p != std::string::npos;
           p = got->text.find("part ", p + 1))
        ++got_parts;
      CHECK(got_parts == r.want_parts);
      // The defect appears once, however often the checker said no.
      CHECK(std::count(got->defects.begin(), got->defects.end(), std::string(k_budget_defect)) ==
            (r.want_defect ? 1 : 0));
    }
  }
}

TEST_CASE("budget: HTML conversion asks the checker and returns what it has") {
  std::string html = "<html><body>";
  for (int i = 0; i < 20000; ++i) html += "<p>paragraph " + std::to_string(i) + "</p>";
  html += "</body></html>";
  std::string full = hd::mailparse::html_to_text(html);
  CHECK(full.find("paragraph 19999") != std::string::npos);

  auto calls = std::make_shared<int>(0);
  std::string cut = hd::mailparse::html_to_text(html, fires_after(2, calls));
  CHECK(*calls == 3);  // before gumbo, then every 4096 nodes until it fired
  CHECK(cut.size() < full.size());
  CHECK(cut.rfind("paragraph 0", 0) == 0);

  calls = std::make_shared<int>(0);
  CHECK(hd::mailparse::html_to_text(html, fires_after(0, calls)).empty());

  // In a mail: HTML-only body converted under the budget, the defect recorded.
  std::string mail =
      "From: a@example.net\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n" + html;
  hd::mailparse::limits lim;
  calls = std::make_shared<int>(0);
  lim.over_budget = fires_after(5, calls);
  auto got = hd::mailparse::parse(mail, lim);
  REQUIRE(got.has_value());
  CHECK(has_defect(*got, "parse_budget_exceeded"));
  CHECK(got->text.size() < full.size());
  CHECK(got->html.has_value());
}

TEST_CASE("hostile headers: control characters from encoded words are flattened") {
  std::string mail =
      "From: =?UTF-8?Q?Eve=0D=0ABcc:_victim@evil.example?= <eve@example.net>\r\n"
      "Subject: =?UTF-8?Q?Help=0D=0ABcc:_victim@evil.example?=\r\n\r\nbody\r\n";
  auto got = hd::mailparse::parse(mail);
  REQUIRE(got.has_value());
  CHECK(got->subject == "Help  Bcc: victim@evil.example");
  REQUIRE(got->from.has_value());
  CHECK(got->from->name.find_first_of("\r\n") == std::string::npos);
  CHECK(got->from->addr == "eve@example.net");
  CHECK(has_defect(*got, "control characters"));
  for (const hd::header_field& h : got->headers)
    CHECK(h.value.find_first_of("\r\n") == std::string::npos);
}

TEST_CASE("hostile filenames: repaired with a defect; ordinary names without") {
  auto with_name = [](std::string disposition) {
    return "From: a@example.net\r\nSubject: f\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
           "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
           "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; " +
           disposition + "\r\n\r\ndata\r\n--b--\r\n";
  };
  struct row {
    const char* disposition;
    const char* want_name;
    bool want_defect;
  };
  const row rows[] = {
      {"filename=\"report.pdf\"", "report.pdf", false},
      {"filename=\"../../etc/passwd\"", "passwd", true},
      {"filename=\"..\\\\..\\\\boot.ini\"", "boot.ini", true},
      {"filename*=UTF-8''a%0D%0Ab.txt", "ab.txt", true},
      {"filename=\"...\"", "part-1.bin", true},
  };
  for (const row& r : rows) {
    SUBCASE(r.disposition) {
      auto got = hd::mailparse::parse(with_name(r.disposition));
      REQUIRE(got.has_value());
      REQUIRE(got->attachments.size() == 1);
      CHECK(got->attachments[0].filename == r.want_name);
      CHECK(has_defect(*got, "unsafe attachment filename") == r.want_defect);
    }
  }
}

TEST_CASE("limits: a big base64 body is bounded by the message limit, raw and decoded") {
  // base64 only ever shrinks when decoded, so the raw size limit bounds the decoded bytes;
  // body.cpp also counts decoded bytes against it (re-serialised message/rfc822 parts).
  std::string b64;
  for (int i = 0; i < 40000 / 76; ++i) b64 += std::string(76, 'A') + "\r\n";
  std::string mail =
      "From: a@example.net\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 0; i < 3; ++i)
    mail +=
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: "
        "base64\r\n\r\n" +
        b64;
  mail += "--b--\r\n";
  hd::mailparse::limits lim;
  lim.max_message_bytes = static_cast<std::int64_t>(mail.size()) - 1;
  auto over = hd::mailparse::parse(mail, lim);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code == hd::mailparse::errc::too_large);

  lim.max_message_bytes = static_cast<std::int64_t>(mail.size());
  auto got = hd::mailparse::parse(mail, lim);
  REQUIRE(got.has_value());
  REQUIRE(got->attachments.size() == 3);
  std::size_t decoded = 0;
  for (const hd::attachment& a : got->attachments) decoded += a.data.size();
  CHECK(decoded <= mail.size() * 3 / 4);
  CHECK_FALSE(has_defect(*got, "decoded content over"));
}

TEST_CASE("hostile: mail that is all NUL bytes") {
  // Past the header limit without a line end: nothing readable, an error (quarantined).
  auto big = hd::mailparse::parse(std::string(200 * 1024, '\0'));
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == hd::mailparse::errc::no_headers);
  CHECK(big.error().message.find("no header line") != std::string::npos);
  // Small: read as body text without a sender; every string valid UTF-8, no NUL kept.
  auto small = hd::mailparse::parse(std::string(1024, '\0'));
  if (small.has_value()) {
    CHECK_FALSE(small->from.has_value());
    CHECK(small->text.find('\0') == std::string::npos);
    CHECK(hd::is_valid_utf8(small->text));
  }
}
