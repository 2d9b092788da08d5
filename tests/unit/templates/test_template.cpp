// hd/templates/template.hpp: the file format, rendering, escaping, quotes, languages.
#include "hd/templates/template.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace hd::templates;

namespace {

const char* const sample =
    "# a comment\n"
    "--- subject\n"
    "Got it: {{original_subject}}\n"
    "--- text\n"
    "Hi {{person.first_name}}, {{request.tag}} {{quote}}\n"
    "{{#company}}for {{company}}{{/company}}{{^company}}no company{{/company}}\n"
    "--- html\n"
    "<p>{{quote}}</p>\n";

reply_vars vars() {
  reply_vars v;
  v.request_id = 42;
  v.request_tag = "[#42]";
  v.person_first_name = "Åsa";
  v.original_subject = "Printer <b>broken</b>";
  v.quote = "a < b & \"c\"";
  return v;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("parse_template_file: sections and errors") {
  auto t = parse_template_file(sample, "t.mustache");
  REQUIRE(t.has_value());
  CHECK(t->subject == "Got it: {{original_subject}}");
  CHECK(t->html.has_value());
  struct row {
    const char* name;
    const char* src;
  };
  for (const row& r : {
           row{"no subject", "--- text\nx\n"},
           row{"no text", "--- subject\nx\n"},
           row{"unknown section", "--- subject\nx\n--- body\ny\n"},
           row{"repeated section", "--- subject\nx\n--- text\ny\n--- text\nz\n"},
           row{"text before first section", "hello\n--- subject\nx\n--- text\ny\n"},
           row{"bad mustache", "--- subject\n{{#a}}x\n--- text\ny\n"},
       }) {
    SUBCASE(r.name) {
      auto got = parse_template_file(r.src, "bad.mustache");
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error().code == errc::syntax);
      CHECK(got.error().message.find("bad.mustache") != std::string::npos);
    }
  }
}

TEST_CASE("parse_template_file refuses partials and delimiter changes") {
  // A partial could make the Mustache library recurse until the stack overflows (found by
  // fuzz_template); a delimiter change could hide one.
  for (const char* body :
       {"{{> other}}", "{{#a}}{{>  x}}{{/a}}", "{{{ >x}}", "{{=<% %>=}}<%> x%>", "{{ = | | = }}"}) {
    CAPTURE(body);
    auto t = parse_template_file(std::string("--- subject\nS\n--- text\n") + body + "\n", "f");
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().code == errc::syntax);
  }
  CHECK(parse_template_file("--- subject\na > b = c\n--- text\n{{ text }} >= {{#x}}y{{/x}}\n", "f")
            .has_value());
}

TEST_CASE("render: text is not escaped, HTML is, sections follow emptiness") {
  auto t = parse_template_file(sample, "t");
  REQUIRE(t.has_value());
  rendered got = render(*t, vars());
  CHECK(got.subject == "Got it: Printer <b>broken</b>");
  CHECK(got.text == "Hi Åsa, [#42] a < b & \"c\"\nno company\n");
  REQUIRE(got.html.has_value());
  CHECK(*got.html == "<p>a &lt; b &amp; &quot;c&quot;</p>\n");
  reply_vars v = vars();
  v.company = "Fjordkraft";
  CHECK(render(*t, v).text.find("for Fjordkraft") != std::string::npos);
}

TEST_CASE("render: customer text is data, never template; subjects stay one line") {
  auto t = parse_template_file(sample, "t");
  REQUIRE(t.has_value());
  reply_vars v = vars();
  v.quote = "{{request.tag}} {{#person}}x{{/person}}";
  v.original_subject = "hi\r\nBcc: victim@example.com\r\n\r\nbody";
  rendered got = render(*t, v);
  CHECK(got.text.find("{{request.tag}} {{#person}}x{{/person}}") != std::string::npos);
  CHECK(got.subject == "Got it: hi Bcc: victim@example.com body");
  CHECK(got.subject.find('\n') == std::string::npos);
  CHECK(got.subject.find('\r') == std::string::npos);
}

TEST_CASE("render: a template compiled once renders each mail's values, and each kind its way") {
  // Each thread compiles a template once and keeps it by its source: the same source must
  // still be escaped as HTML and not as text, and nothing of one render may reach the next.
  reply_template t;
  t.subject = "{{quote}}";
  t.text = "{{quote}}{{#company}} at {{company}}{{/company}}\n";
  t.html = "{{quote}}{{#company}} at {{company}}{{/company}}\n";
  reply_vars v = vars();
  v.company = "A&B";
  rendered first = render(t, v);
  CHECK(first.text == "a < b & \"c\" at A&B\n");
  CHECK(*first.html == "a &lt; b &amp; &quot;c&quot; at A&amp;B\n");
  v.quote = "second";
  v.company.clear();
  rendered second = render(t, v);
  CHECK(second.subject == "second");
  CHECK(second.text == "second\n");
  CHECK(*second.html == "second\n");
  // A reloaded template (new source) renders as written, not as the one compiled before.
  t.text = "now {{quote}}\n";
  CHECK(render(t, v).text == "now second\n");
}
TEST_CASE("first_name") {
  struct row {
    const char* in;
    const char* want;
  };
  for (const row& r : {row{"Åsa Bjørnstad", "Åsa"}, row{"Berg, Åsa", "Åsa"}, row{"", ""},
                       row{"  Jan  ", "Jan"}, row{"info@example.com", ""}}) {
    CAPTURE(r.in);
    CHECK(first_name(r.in) == r.want);
  }
}

TEST_CASE("make_quote skips quotes and signatures, and is bounded") {
  CHECK(make_quote("Hello,\n\n> old text\nThe printer is broken.\n-- \nJan\n") ==
        "Hello,\nThe printer is broken.");
  CHECK(make_quote("a\nb\nc\nd", 2, 400) == "a\nb ...");
  std::string long_line(1000, 'x');
  std::string q = make_quote(long_line, 6, 100);
  CHECK(q.size() <= 104);
  CHECK(q.ends_with(" ..."));
  std::string utf(300, '\0');
  for (std::size_t i = 0; i < 100; ++i) utf.replace(i * 2, 2, "é");
  utf.resize(200);
  std::string cut = make_quote(utf, 6, 51);
  CHECK(cut.substr(0, cut.size() - 4).size() % 2 == 0);  // never half a character
  CHECK(make_quote("") == "");
}

TEST_CASE("library picks languages with fallbacks") {
  library lib;
  auto t = parse_template_file(sample, "t");
  REQUIRE(t.has_value());
  for (const char* l : {"en", "nl", "no", "sv"}) lib.add("ack", l, *t);
  struct row {
    const char* wanted;
    const char* fallback;
    const char* want;
  };
  for (const row& r : {row{"nl", "en", "nl"}, row{"nl-BE", "en", "nl"}, row{"nb", "en", "no"},
                       row{"nn-NO", "en", "no"}, row{"SV_se", "en", "sv"}, row{"fr", "sv", "sv"},
                       row{"fr", "de", "en"}, row{"", "", "en"}}) {
    CAPTURE(r.wanted);
    auto got = lib.pick_language("ack", r.wanted, r.fallback);
    REQUIRE(got.has_value());
    CHECK(*got == r.want);
  }
  CHECK_FALSE(lib.pick_language("nope", "en", "en").has_value());
  CHECK(lib.languages("ack").size() == 4);
  CHECK(normalize_language(" nb_NO ") == "nb-no");
}

TEST_CASE("the shipped ack templates parse and render in every language") {
  std::filesystem::path dir = std::filesystem::path(HD_SOURCE_DIR) / "etc/templates/ack";
  int n = 0;
  for (const char* lang : {"en", "nl", "no", "sv", "de"}) {
    CAPTURE(lang);
    auto t = parse_template_file(slurp(dir / (std::string(lang) + ".mustache")), lang);
    REQUIRE(t.has_value());
    CHECK(template_warnings(slurp(dir / (std::string(lang) + ".mustache")), lang).empty());
    rendered got = render(*t, vars());
    CHECK(got.text.find("[#42]") != std::string::npos);
    CHECK(got.subject.find("Printer <b>broken</b>") != std::string::npos);
    REQUIRE(got.html.has_value());
    CHECK(got.html->find("<b>broken") == std::string::npos);
    ++n;
  }
  CHECK(n == 5);
}

TEST_CASE("syntax errors give the line and column in the file") {
  struct row {
    const char* name;
    const char* src;
    const char* want;
  };
  const row rows[] = {
      {"a section never closed", "# c\n--- subject\nS\n--- text\nHi\n  {{#company}}x\n",
       "f.mustache:6:3: '{{#company}}' is never closed (no '{{/company}}')"},
      {"closed by the wrong name", "--- subject\nS\n--- text\n{{#a}}\n{{^b}}x{{/a}}\n",
       "f.mustache:5:8: '{{/a}}' closes '{{^b}}' opened at 5:1"},
      {"a tag never closed", "--- subject\nS\n--- text\nDear Åsa {{person.name\n",
       "f.mustache:4:10: '{{' is never closed (no '}}')"},
      {"open across a section line", "--- subject\n{{#a}}S\n--- text\n{{/a}}\n",
       "f.mustache:2:1: '{{#a}}' is never closed"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      auto got = parse_template_file(r.src, "f.mustache");
      REQUIRE_FALSE(got.has_value());
      CHECK_MESSAGE(got.error().message.find(r.want) == 0, got.error().message);
    }
  }
}

TEST_CASE("template_warnings: every variable is checked against the documented set") {
  std::string src =
      "# {{comments.are}} not checked\n"
      "--- subject\n"
      "{{request.tag}} {{original_subject}}\n"
      "--- text\n"
      "Kundennummer: {{customer.number}}\n"
      "Hallo {{persn.name}}, {{#person}}{{first_name}}{{/person}} {{! a comment }}\n"
      "{{#company}}{{.}}{{/company}} {{{quote}}} {{&team}}\n";
  auto w = template_warnings(src, "de.mustache");
  REQUIRE(w.size() == 2);
  CHECK(w[0].find("de.mustache:5:15: unknown variable 'customer.number'") == 0);
  CHECK(w[1].find("de.mustache:6:7: unknown variable 'persn.name' (did you mean 'person.name'?)") ==
        0);
  CHECK(template_warnings(sample, "t.mustache").empty());
}
