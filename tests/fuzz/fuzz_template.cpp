// libFuzzer target for reply templates: the input is a template file, optionally followed by
// "\n===\n" and text used for every variable (customer-controlled in real use: names,
// subjects, quotes). Any file must parse or fail with an error (never crash); a parsed one must
// render, and the rendered subject must stay one line without control characters (the
// contract of templates::render). Inputs are capped at 16 KB: templates are admin-written
// files of a few hundred bytes, and the Mustache parser recurses once per nested section.
#include "hd/templates/template.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view file = in, value;
  if (std::size_t sep = in.find("\n===\n"); sep != std::string_view::npos) {
    file = in.substr(0, sep);
    value = in.substr(sep + 5);
  }
  std::string v(value);
  std::string quote = hd::templates::make_quote(v, 6, 400);
  require(quote.size() <= 400 + 4);  // " ..." is appended when cut
  for (char c : hd::templates::normalize_language(v)) {
    require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  auto t = hd::templates::parse_template_file(file, "fuzz.mustache");
  if (!t) return 0;
  hd::templates::reply_vars vars;
  vars.request_id = 1234;
  vars.request_tag = "[#1234]";
  vars.request_title = vars.category = vars.priority = vars.owner = v;
  vars.person_name = vars.person_email = vars.company = vars.mailbox = v;
  vars.person_first_name = hd::templates::first_name(v);
  vars.team = vars.original_subject = vars.language = vars.agent_text = vars.agent_name = v;
  vars.quote = quote;
  hd::templates::rendered r = hd::templates::render(*t, vars);
  for (char c : r.subject) require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  return 0;
}
