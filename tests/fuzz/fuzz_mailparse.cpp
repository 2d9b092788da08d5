// libFuzzer target: any bytes must parse without a crash, a sanitizer report or a hang; every
// string in the result must be valid UTF-8 (the JSON output and SQLite rely on it); attachment
// filenames must be safe and the text must use LF line ends.
#include "hd/common/utf8.hpp"
#include "hd/mailparse/html_text.hpp"
#include "hd/mailparse/params.hpp"
#include "hd/mailparse/parser.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using hd::is_valid_utf8;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

void check(const hd::parsed_message& m) {
  auto opt = [](const std::optional<std::string>& s) { return !s || is_valid_utf8(*s); };
  require(opt(m.subject) && opt(m.message_id) && opt(m.in_reply_to) && opt(m.html));
  require(is_valid_utf8(m.text) && m.text.find('\r') == std::string::npos);
  for (const hd::address* a : {m.from ? &*m.from : nullptr}) {
    if (a != nullptr) require(is_valid_utf8(a->name) && is_valid_utf8(a->addr));
  }
  for (const auto* list : {&m.to, &m.cc, &m.reply_to}) {
    for (const hd::address& a : *list) require(is_valid_utf8(a.name) && is_valid_utf8(a.addr));
  }
  for (const std::string& r : m.references) require(is_valid_utf8(r));
  for (const std::string& d : m.defects) require(is_valid_utf8(d));
  for (const hd::header_field& h : m.headers)
    require(is_valid_utf8(h.name) && is_valid_utf8(h.value));
  for (const hd::attachment& a : m.attachments) {
    require(!a.filename.empty() && a.filename.find_first_of("/\\") == std::string::npos);
    require(is_valid_utf8(a.filename) && is_valid_utf8(a.content_type) && opt(a.content_id));
    for (unsigned char c : a.filename) require(c >= 0x20 && c != 0x7f);
  }
  require(is_valid_utf8(m.robot.reason) && opt(m.robot.original_message_id));
  for (const hd::dsn_recipient& r : m.robot.recipients)
    require(is_valid_utf8(r.address) && is_valid_utf8(r.status) && is_valid_utf8(r.diagnostic));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  hd::mailparse::limits lim;
  lim.max_mime_depth = 50;
  auto m = hd::mailparse::parse(raw, lim);
  if (m) check(*m);
  // Parameters alone (Content-Type values with charsets, RFC 2231 sections, missing ';').
  if (size < 65536) {
    hd::mailparse::param_limits pl;
    pl.max_params = 200;
    auto p = hd::mailparse::parse_params(raw, nullptr, pl);
    require(p.params.size() <= 200);
    for (const hd::mailparse::param& x : p.params) require(is_valid_utf8(x.value));
  }
  // The HTML converter also sees whatever bytes come (after UTF-8 repair, as in the parser).
  if (size < 65536) require(is_valid_utf8(hd::mailparse::html_to_text(hd::repair_utf8(raw))));
  return 0;
}
