#include "hd/templates/compose.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace hd::templates {
namespace {

constexpr std::size_t max_references = 20;
constexpr std::size_t encoded_chunk_bytes = 39;  // 52 base64 chars: a 64-char encoded word

bool is_printable_ascii(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// One line: control characters become spaces, runs of spaces collapse, ends are trimmed.
std::string one_line(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += ch;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 encoded words for S, split on UTF-8 character boundaries, joined by folding.
std::string encoded_words(std::string_view s) {
  std::string out;
  while (!s.empty()) {
    std::size_t n = std::min(encoded_chunk_bytes, s.size());
    while (n < s.size() && n > 0 && is_utf8_continuation(s[n])) --n;
    if (n == 0) n = std::min(encoded_chunk_bytes, s.size());
    if (!out.empty()) out += "\r\n ";
    out += "=?utf-8?b?" + base64(s.substr(0, n)) + "?=";
    s.remove_prefix(n);
  }
  return out;
}

// Folds a plain ASCII line at spaces so that lines stay within 78 columns where possible.
std::string fold(std::string_view line, std::size_t used) {
  std::string out;
  std::size_t col = used;
  std::size_t pos = 0;
  while (pos < line.size()) {
    std::size_t sp = line.find(' ', pos + 1);
    std::string_view word = line.substr(pos, sp == std::string_view::npos ? line.npos : sp - pos);
    if (col + word.size() > 78 && pos > 0 && word.size() > 1) {
      out += "\r\n";
      col = 0;
    }
    out += word;
    col += word.size();
    pos += word.size();
  }
  return out;
}

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_safe_domain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  char prev = '.';
  for (char c : d) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};

// Howard Hinnant's days_from_civil inverse.
civil civil_from_days(std::int64_t z) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

std::string header(std::string_view name, std::string_view value) {
  return fmt::format("{}: {}\r\n", name, value);
}

std::string references_value(const mail_parts& p) {
  std::vector<std::string> ids;
  for (const std::string& r : p.references) {
    if (is_safe_msg_id(r)) ids.push_back(r);
  }
  if (p.in_reply_to && is_safe_msg_id(*p.in_reply_to) &&
      (ids.empty() || ids.back() != *p.in_reply_to)) {
    ids.push_back(*p.in_reply_to);
  }
  if (ids.size() > max_references) {  // keep the first (the thread's root) and the newest
    ids.erase(ids.begin() + 1, ids.end() - static_cast<std::ptrdiff_t>(max_references - 1));
  }
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "<" : "\r\n <") + id + ">";
  return out;
}

std::string clean_language(std::string_view lang) {
  std::string out;
  for (char c : lang) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
      out += c;
    }
  }
  return out.substr(0, 35);
}

std::string body_part(std::string_view content_type, std::string_view body) {
  return fmt::format(
      "Content-Type: {}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
      content_type, quoted_printable(body));
}

std::string headers_of(const mail_parts& p) {
  std::string h;
  h += header("Date", rfc5322_date(p.date));
  h += header("From", encode_mailbox(p.from));
  h += header("To", encode_mailbox(p.to));
  if (!p.cc.empty()) {
    std::string cc;
    // One address a line (folded), so no line grows past RFC 5322's limit.
    for (const std::string& a : p.cc) cc += (cc.empty() ? "" : ",\r\n ") + a;
    h += header("Cc", cc);
  }
  h += header("Subject", encode_unstructured("Subject", p.subject));
  h += header("Message-ID", "<" + p.message_id + ">");
  if (p.in_reply_to && is_safe_msg_id(*p.in_reply_to)) {
    h += header("In-Reply-To", "<" + *p.in_reply_to + ">");
  }
  if (std::string refs = references_value(p); !refs.empty()) h += header("References", refs);
  if (!p.auto_submitted.empty()) {
    h += header("Auto-Submitted", encode_unstructured("Auto-Submitted", p.auto_submitted));
    // Asks Exchange and friends not to answer our automatic mail with their own.
    h += header("X-Auto-Response-Suppress", "All");
  }
  if (!p.x_loop.empty()) h += header("X-Loop", encode_unstructured("X-Loop", p.x_loop));
  h += header("MIME-Version", "1.0");
  if (std::string lang = clean_language(p.language); !lang.empty()) {
    h += header("Content-Language", lang);
  }
  return h;
}

}  // namespace

bool is_safe_addr_spec(std::string_view addr) {
  if (addr.empty() || addr.size() > 254) return false;
  std::size_t at = addr.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = addr.substr(0, at);
  if (local.front() == '.' || local.back() == '.') return false;
  // "=?" is atext, but a reader (GMime among them) may decode "=?...?=" in an address as an
  // encoded word and show another address than the one we send to (found by fuzz_compose).
  if (local.find("=?") != std::string_view::npos) return false;
  char prev = 0;
  for (char c : local) {
    if (!(is_atext(c) || c == '.') || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return is_safe_domain(addr.substr(at + 1));
}

bool is_safe_msg_id(std::string_view id) {
  if (id.empty() || id.size() > 250) return false;
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("<>()[],;:\\\"").find(ch) != std::string_view::npos) return false;
  }
  return true;
}

std::string make_message_id(std::string_view unique, std::string_view domain) {
  auto keep = [](std::string_view s, bool allow_at) {
    std::string out;
    for (char c : s) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == '_' || c == '+' || (allow_at && c == '@')) {
        out += c;
      }
    }
    return out;
  };
  std::string d = keep(domain, false);
  return keep(unique, false) + "@" + (d.empty() ? "localhost" : d);
}

std::string tag_subject(std::string_view subject, std::string_view tag_prefix, std::int64_t id) {
  std::string tag = fmt::format("[{}{}]", tag_prefix, id);
  std::string s = one_line(subject);
  if (s.find(tag) != std::string::npos) return s;
  return s.empty() ? tag : tag + " " + s;
}

std::string rfc5322_date(std::int64_t t) {
  static constexpr std::array<const char*, 7> wd{"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr std::array<const char*, 12> mon{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  civil c = civil_from_days(days);
  std::int64_t w = ((days % 7) + 7) % 7;
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", wd[static_cast<std::size_t>(w)],
                     c.d, mon[c.m - 1], c.y, secs / 3600, secs / 60 % 60, secs % 60);
}

bool needs_encoded_word(std::string_view text) {
  if (!is_printable_ascii(text) || text.find("=?") != std::string_view::npos) return true;
  std::size_t word = 0;
  for (char c : text) {
    word = c == ' ' ? 0 : word + 1;
    if (word > 900) return true;
  }
  return false;
}

std::string encode_unstructured(std::string_view header_name, std::string_view value) {
  std::string line = one_line(value);
  if (needs_encoded_word(line)) return encoded_words(line);
  return fold(line, header_name.size() + 2);
}

std::string encode_mailbox(const address& a) {
  std::string name = one_line(a.name);
  if (name.empty()) return a.addr;
  // Names with specials are encoded too: lax parsers then cannot mistake any part of a
  // display name for an address.
  if (needs_encoded_word(name) || name.find_first_of("\"\\<>,;:@()[]") != std::string::npos) {
    return encoded_words(name) + " <" + a.addr + ">";
  }
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\" <" + a.addr + ">";
}

std::string quoted_printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t col = 0;
  auto emit = [&](std::string_view tok) {
    if (col + tok.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += tok;
    col += tok.size();
  };
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      if (c == '.' && col == 0) literal = false;
      if (c == 'F' && i == 0 && line.starts_with("From ")) literal = false;
      char enc[4] = {'=', hex[c >> 4], hex[c & 15], 0};
      emit(literal ? std::string_view(&line[i], 1) : std::string_view(enc, 3));
    }
    if (nl == std::string_view::npos) break;
    out += "\r\n";
    col = 0;
    pos = nl + 1;
  }
  return out;
}

namespace {

// "=_" can never occur in quoted-printable or base64 output, so these boundaries are safe.
std::string boundary_of(std::string_view kind, std::string_view message_id) {
  std::string b = fmt::format("=_hd_{}_{}", kind, base64(message_id).substr(0, 24));
  for (char& c : b) {
    if (c == '/' || c == '+') c = '_';
  }
  return b;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
}

// The filename without folders or control characters, then RFC 2231 percent-encoded (UTF-8):
// only attr-chars reach the header, so it cannot break out of the parameter.
std::string encoded_filename(std::string_view name) {
  std::size_t cut = name.find_last_of("/\\");
  if (cut != std::string_view::npos) name.remove_prefix(cut + 1);
  std::string clean;
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) clean += c;
  }
  if (clean.empty() || clean == "." || clean == "..") clean = "attachment";
  if (clean.size() > 200) clean.resize(200);
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : clean) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string attachment_of(const attachment_part& a) {
  std::string name = encoded_filename(a.filename);
  std::string out = fmt::format(
      "Content-Type: {}; name*=utf-8''{}\r\n"
      "Content-Disposition: attachment; filename*=utf-8''{}\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n",
      safe_content_type(a.content_type), name, name);
  std::string b = base64(a.bytes);
  for (std::size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

}  // namespace

std::string safe_content_type(std::string_view t) {
  std::size_t slash = t.find('/');
  bool good =
      slash != std::string_view::npos && slash > 0 && slash + 1 < t.size() && t.size() < 128;
  for (std::size_t i = 0; good && i < t.size(); ++i) good = i == slash || is_token_char(t[i]);
  if (!good) return "application/octet-stream";
  std::string out(t);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

result<composed_mail, compose_errc> compose(const mail_parts& p) {
  if (!is_safe_addr_spec(p.from.addr)) {
    return fail(compose_errc::bad_address, "the sender address is not a plain addr-spec");
  }
  if (!is_safe_addr_spec(p.to.addr)) {
    return fail(compose_errc::bad_address, "the recipient address is not a plain addr-spec");
  }
  for (const std::string& a : p.cc) {
    if (!is_safe_addr_spec(a))
      return fail(compose_errc::bad_address, "a Cc address is not a plain addr-spec");
  }
  if (!is_safe_msg_id(p.message_id)) {
    return fail(compose_errc::bad_input, "the Message-ID is empty or malformed");
  }
  std::string bytes = headers_of(p);
  std::string body;
  if (!p.html) {
    body = body_part("text/plain", p.text);
  } else {
    std::string boundary = boundary_of("alt", p.message_id);
    body += fmt::format("Content-Type: multipart/alternative; boundary=\"{}\"\r\n\r\n", boundary);
    body += "This is a message in MIME format.\r\n";
    body += "\r\n--" + boundary + "\r\n" + body_part("text/plain", p.text);
    body += "\r\n--" + boundary + "\r\n" + body_part("text/html", *p.html);
    body += "\r\n--" + boundary + "--";
  }
  if (p.attachments.empty()) {
    bytes += body;
  } else {
    std::string boundary = boundary_of("mix", p.message_id);
    bytes += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", boundary);
    bytes += "This is a message in MIME format.\r\n";
    bytes += "\r\n--" + boundary + "\r\n" + body;
    if (!bytes.ends_with("\r\n")) bytes += "\r\n";
    for (const attachment_part& a : p.attachments)
      bytes += "\r\n--" + boundary + "\r\n" + attachment_of(a);
    bytes += "\r\n--" + boundary + "--";
  }
  if (!bytes.ends_with("\r\n")) bytes += "\r\n";
  return composed_mail{std::move(bytes), p.message_id};
}

}  // namespace hd::templates
