// libFuzzer target for the Sieve compiler and evaluator: the input is a script, optionally
// followed by "\n---\n" and a raw mail (its header block is what header and address tests
// read, through the address parser and the strict header decoder), whose start is also the
// subject and a header of the parsed form. Any script must compile or fail with errors (never
// crash), and a compiled one must run.
#include "hd/mailparse/rfc2047.hpp"
#include "hd/mailparse/sieve_parts.hpp"
#include "hd/rules/script.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view script = in, mail_text;
  if (std::size_t sep = in.find("\n---\n"); sep != std::string_view::npos) {
    script = in.substr(0, sep);
    mail_text = in.substr(sep + 5);
  }
  hd::rules::limits lim;
  lim.max_script_bytes = 64 * 1024;
  lim.max_nesting = 16;
  lim.max_variable_bytes = 1024;
  hd::rules::known_names known;
  known.categories = std::vector<std::string>{"general", "billing"};
  (void)hd::rules::compile_errors(script, "fuzz.sieve", lim, known);
  auto s = hd::rules::compile(script, "fuzz.sieve", lim);
  if (!s) return 0;
  hd::parsed_message m;
  m.from = hd::address{"Fuzz", "fuzz+detail@example.com"};
  m.to = {hd::address{"", "support+billing@example.com"}};
  m.subject = std::string(mail_text.substr(0, 200));
  m.text = std::string(mail_text);
  m.headers = {{"From", "Fuzz <fuzz+detail@example.com>"},
               {"To", "support+billing@example.com"},
               {"Subject", *m.subject},
               {"X-Fuzz", std::string(mail_text.substr(0, 64))}};
  hd::rules::input input;
  input.message = &m;
  input.raw = mail_text;
  input.decode_header = hd::mailparse::decode_strict;
  input.body_parts = [&] { return hd::mailparse::sieve_body_parts(mail_text); };
  input.env = {"fuzz@example.com", {"support+billing@example.com"}};
  hd::rules::outcome o = hd::rules::evaluate(*s, input);
  input.trace = false;
  input.followup = true;
  (void)hd::rules::evaluate(*s, input);
  return o.trace.size() > 1000000 ? 1 : 0;
}
