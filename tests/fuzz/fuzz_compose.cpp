// libFuzzer target for outgoing-mail composition (templates/compose.hpp): every string a
// customer controls (their name and address, the subject, the text and HTML that quote them,
// their Message-ID and References, the language) comes from the input, split at NUL bytes.
// Whatever they contain, the composed mail must be 7-bit CRLF text whose header holds only
// the fields compose writes, each once; re-parsed by our parser (GMime underneath) it must
// have exactly our sender and the one recipient, no Cc/Bcc, and our Message-ID.
#include "hd/common/utf8.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/templates/compose.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Aborts (a finding) naming the check that failed.
void require(bool ok, int line = __builtin_LINE()) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_compose: the check on line %d failed\n", line);
  std::abort();
}

std::vector<std::string> split(std::string_view in, std::size_t n) {
  std::vector<std::string> out;
  while (out.size() + 1 < n) {
    std::size_t nul = in.find('\0');
    if (nul == std::string_view::npos) break;
    out.emplace_back(in.substr(0, nul));
    in.remove_prefix(nul + 1);
  }
  out.emplace_back(in);
  out.resize(n);
  return out;
}

constexpr std::array<std::string_view, 14> allowed_fields{"Date",
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

// The top-level header: only fields compose writes, each at most once; lines are CRLF.
void check_bytes(const std::string& bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    require(c != 0 && c < 0x80);
    if (c == '\n') require(i > 0 && bytes[i - 1] == '\r');
    if (c == '\r') require(i + 1 < bytes.size() && bytes[i + 1] == '\n');
  }
  std::vector<std::string> seen;
  for (std::size_t pos = 0; pos < bytes.size();) {
    std::size_t end = bytes.find("\r\n", pos);
    require(end != std::string::npos);
    std::string_view line(bytes.data() + pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') continue;  // folded continuation
    std::size_t colon = line.find(':');
    require(colon != std::string_view::npos);
    std::string name(line.substr(0, colon));
    require(std::find(allowed_fields.begin(), allowed_fields.end(), name) != allowed_fields.end());
    require(std::find(seen.begin(), seen.end(), name) == seen.end());
    seen.push_back(name);
  }
}

bool plain_one_line(std::string_view s) {
  if (!hd::is_valid_utf8(s) || s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  if (s.find("  ") != std::string_view::npos || s.find("=?") != std::string_view::npos)
    return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> f = split(in, 9);
  hd::templates::mail_parts p;
  p.from = {f[0], "support@example.com"};
  p.to = {f[1], f[2].empty() ? "customer@example.org" : f[2]};
  p.subject = f[3];
  p.text = f[4];
  if (!f[5].empty()) p.html = f[5];
  p.message_id = hd::templates::make_message_id("hd.1.2." + f[6], "helpdesk.example.com");
  if (!f[6].empty()) p.in_reply_to = f[6];
  for (std::size_t pos = 0; pos < f[7].size();) {
    std::size_t sp = f[7].find(' ', pos);
    if (sp == std::string::npos) sp = f[7].size();
    p.references.push_back(f[7].substr(pos, sp - pos));
    pos = sp + 1;
  }
  p.date = 1790000000;
  p.x_loop = "support@example.com";
  p.language = f[8];
  auto mail = hd::templates::compose(p);
  if (!mail) {
    // Refused only for an unusable recipient (the sender and our Message-ID are safe).
    require(!hd::templates::is_safe_addr_spec(p.to.addr) ||
            !hd::templates::is_safe_msg_id(p.message_id));
    return 0;
  }
  require(hd::templates::is_safe_addr_spec(p.to.addr));
  check_bytes(mail->bytes);
  auto m = hd::mailparse::parse(mail->bytes, {});
  require(m.has_value());
  require(m->from && m->from->addr == "support@example.com");
  require(m->to.size() == 1);
  // GMime shows an IDNA ("xn--") domain decoded: compare the local part only then.
  std::string_view got = m->to[0].addr, want = p.to.addr;
  if (want.find("xn--") != std::string_view::npos) {
    got = got.substr(0, got.rfind('@'));
    want = want.substr(0, want.rfind('@'));
  }
  require(hd::iequals(got, want));
  require(m->cc.empty() && m->reply_to.empty());
  require(m->header("Bcc") == nullptr && m->header("Cc") == nullptr);
  require(m->message_id && *m->message_id == p.message_id);
  if (plain_one_line(p.subject)) require(m->subject && *m->subject == p.subject);
  return 0;
}
