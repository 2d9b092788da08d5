// tests/fixtures/hostile/: mail built to break parsers. Each must parse, with the damage
// contained and recorded as defects.
#include "hd/common/utf8.hpp"
#include "hd/mailparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace {

hd::parsed_message parse_fixture(const char* name) {
  std::ifstream in(std::string(HD_FIXTURES "/hostile/") + name, std::ios::binary);
  REQUIRE_MESSAGE(in, name);
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = hd::mailparse::parse(ss.str());
  REQUIRE(m.has_value());
  return std::move(*m);
}

bool has_defect(const hd::parsed_message& m, std::string_view part) {
  return std::any_of(m.defects.begin(), m.defects.end(),
                     [&](const std::string& d) { return d.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("hostile: limits and sizes") {
  auto deep = parse_fixture("deep-nesting.eml");
  CHECK(deep.subject == "deep");
  CHECK(has_defect(deep, "nesting"));

  auto parts = parse_fixture("many-parts.eml");
  CHECK(has_defect(parts, "more than 10000 MIME parts"));
  CHECK(parts.text.find("\n9997\n") != std::string::npos);
  CHECK(parts.text.find("\n10001") == std::string::npos);

  auto header = parse_fixture("huge-header.eml");
  CHECK(header.subject == "big header");
  CHECK(header.text == "body after a huge header\n");
  CHECK(has_defect(header, "header block over"));

  // Gumbo's tree builder is quadratic in nesting depth: 30,000 levels took minutes before
  // html_to_text fell back to stripping tags for deep HTML.
  auto deep_html = parse_fixture("deep-html.eml");
  CHECK(deep_html.text == "the bottom");

  auto links = parse_fixture("many-links.eml");
  CHECK(links.text.find("item 1999 <https://shop.example/item/1999>") != std::string::npos);
  CHECK(links.html.has_value());
}

TEST_CASE("hostile: GMime 3.2.13 bugs worked around") {
  auto words = parse_fixture("gmime-133-padded-words.eml");
  CHECK(words.subject == "Skriveren p\xC3\xA5 kontoret");
  REQUIRE(words.from);
  CHECK(words.from->name == "\xC3\x85sa Berg");
  auto b64 = parse_fixture("gmime-150-base64-padding.eml");
  CHECK(b64.text == "F\xC3\xB8rste del. Andre del.");
}

TEST_CASE("hostile: encodings and framing") {
  auto cs = parse_fixture("broken-charsets.eml");
  CHECK(cs.text ==
        "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4\n\xE4\xB8\xAD\xE6\x96\x87\n\xC3\x85sa\ncaf\xC3\xA9\n"
        "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC\nTroms\xC3\xB8");

  auto raw8 = parse_fixture("raw-8bit-headers.eml");
  CHECK(raw8.subject == "Skriveren p\xC3\xA5 kontoret");
  CHECK(raw8.from->name == "J\xC3\xB8rn St\xC3\xB8ylen");
  CHECK(raw8.text.find("p\xC3\xA5 kontoret virker") != std::string::npos);

  auto nul = parse_fixture("nul-bytes.eml");
  CHECK(nul.text == "beforeafter\n");
  CHECK(hd::is_valid_utf8(nul.subject.value_or("")));

  auto mbox = parse_fixture("mbox-crlf-utf8.eml");
  CHECK(mbox.from->name == "\xC3\x85sa Berg");
  CHECK(mbox.subject == "Skriveren p\xC3\xA5 kontoret");
  CHECK(mbox.text == "Hei\n");

  auto groups = parse_fixture("undisclosed-recipients.eml");
  CHECK(groups.to.empty());
  CHECK(groups.cc.empty());
  CHECK(groups.text == "body\n");

  auto boundary = parse_fixture("missing-boundary.eml");
  CHECK(boundary.text.find("--xyzzy is not a boundary") != std::string::npos);
  CHECK(boundary.text.find("second part, never closed") != std::string::npos);
}

TEST_CASE("hostile: attachment filenames") {
  auto m = parse_fixture("evil-filenames.eml");
  std::vector<std::string> names;
  for (const auto& a : m.attachments) names.push_back(a.filename);
  CHECK(names ==
        std::vector<std::string>{"x", "invoicefdp.exe", "ab.txt", "evil.bat", "part-5.bin"});
}
