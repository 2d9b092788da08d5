// The shipped reply template `answer` (requests reply --template answer): the agent's text
// and name, and a fallback when the agent wrote nothing.
#include "hd/templates/template.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace hd::templates;

namespace {

std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

reply_vars answer_vars() {
  reply_vars v;
  v.request_id = 7;
  v.request_tag = "[#7]";
  v.person_name = "Åsa Bjørnstad";
  v.person_first_name = "Åsa";
  v.team = "Example Support";
  v.original_subject = "Skriveren virker ikke";
  v.quote = "Skriveren på kontoret virker ikke.";
  v.agent_name = "Ole Hansen";
  v.agent_text = "Installer driver 4.2, så virker den igjen. <b>ikke HTML</b>";
  return v;
}

}  // namespace

TEST_CASE("the shipped answer template renders the agent's text in every language") {
  std::filesystem::path dir = std::filesystem::path(HD_SOURCE_DIR) / "etc/templates/answer";
  for (const char* lang : {"en", "nl", "no", "sv", "de"}) {
    CAPTURE(lang);
    auto t = parse_template_file(slurp_file(dir / (std::string(lang) + ".mustache")), lang);
    REQUIRE(t.has_value());
    reply_vars v = answer_vars();
    rendered got = render(*t, v);
    CHECK(got.subject == "Re: Skriveren virker ikke");
    CHECK(got.text.find("Åsa") != std::string::npos);
    CHECK(got.text.find("Installer driver 4.2, så virker den igjen. <b>ikke HTML</b>\n") !=
          std::string::npos);  // plain text: not escaped
    CHECK(got.text.find("Ole Hansen\nExample Support\n") != std::string::npos);
    CHECK(got.text.find("Skriveren på kontoret virker ikke.") != std::string::npos);
    CHECK_FALSE(got.html.has_value());

    v.agent_text.clear();
    v.agent_name.clear();
    got = render(*t, v);
    CHECK(got.text.find("[#7]") != std::string::npos);  // the fallback sentence
    CHECK(got.text.find("\nExample Support\n") != std::string::npos);
  }
}
