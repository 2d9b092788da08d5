// sieve_body_parts: MIME parts split as Dovecot's lib-mail message parser splits them (2.3),
// collected as Pigeonhole's sieve_message_parts_add_missing() collects them for `body`.
// Deliberately its own small line scanner, not GMime: what counts is where Dovecot draws the
// lines (boundary prefixes, preamble and epilogue, the line end before a boundary).

#include "hd/mailparse/sieve_parts.hpp"

#include "hd/common/message.hpp"
#include "hd/mailparse/charset.hpp"
#include "hd/mailparse/transfer.hpp"

#include <optional>

namespace hd::mailparse {
namespace {

bool is_lwsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 2045 token characters as Dovecot's rfc822 parser reads them (8-bit bytes included).
bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// Skips white space and (nested) comments.
void skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_lwsp(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '(') {
          ++depth;
        } else if (s[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
    } else {
      break;
    }
  }
}

std::string token_at(std::string_view s, std::size_t& i) {
  std::size_t start = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  return std::string(s.substr(start, i - start));
}

// Pigeonhole's _parse_content_type: "type/subtype" as written, "" when it does not read.
std::string sieve_content_type(std::string_view v) {
  std::size_t i = 0;
  skip_cfws(v, i);
  std::string type = token_at(v, i);
  skip_cfws(v, i);
  if (type.empty() || i >= v.size() || v[i] != '/') return "";
  ++i;
  skip_cfws(v, i);
  std::string sub = token_at(v, i);
  if (sub.empty()) return "";
  skip_cfws(v, i);
  if (i < v.size() && v[i] != ';') return "";
  return type + "/" + sub;
}

// A parameter of a Content-Type value as Dovecot's rfc2231_parse gives it to the message
// parser and decoder: only a plain `name=value` counts ("boundary*=utf-8''x" is another name).
std::optional<std::string> plain_param(std::string_view v, std::string_view want) {
  std::size_t i = 0;
  while (i < v.size()) {
    // to the next ';' outside quotes
    bool quoted = false;
    for (; i < v.size() && (quoted || v[i] != ';'); ++i) {
      if (v[i] == '\\' && quoted)
        ++i;
      else if (v[i] == '"')
        quoted = !quoted;
    }
    if (i >= v.size()) break;
    ++i;
    skip_cfws(v, i);
    std::string name = token_at(v, i);
    skip_cfws(v, i);
    if (i >= v.size() || v[i] != '=') continue;
    ++i;
    skip_cfws(v, i);
    std::string value;
    if (i < v.size() && v[i] == '"') {
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        if (v[i] != '\r' && v[i] != '\n') value += v[i];
      }
    } else {
      value = token_at(v, i);
    }
    if (iequals(name, want)) return value;
  }
  return std::nullopt;
}

enum class cte { identity, base64, qp, unknown };

// Dovecot's message_decoder_parse_cte.
cte parse_cte(std::string_view v) {
  std::size_t i = 0;
  skip_cfws(v, i);
  std::string t = token_at(v, i);
  if (!t.empty()) {
    skip_cfws(v, i);
    if (i < v.size() && v[i] != ';') return cte::unknown;
  }
  t = ascii_lower(t);
  if (t == "7bit" || t == "8bit" || t == "binary") return cte::identity;
  if (t == "base64") return cte::base64;
  if (t == "quoted-printable") return cte::qp;
  return cte::unknown;
}

// What the headers of one part say.
struct part_head {
  bool has_body = false;                    // the empty line after the headers was seen
  std::string sieve_type = "text/plain";    // Pigeonhole: the last Content-Type
  std::optional<std::string> content_type;  // the first Content-Type (the parser's)
  std::optional<std::string> transfer;      // the first Content-Transfer-Encoding
  std::string header_lines;                 // as written, each ending in CRLF
};

struct boundary_hit {
  std::size_t level = 0;  // index into the boundary stack
  bool close = false;     // "--b--": the epilogue follows
  std::size_t line = 0;   // where the boundary line starts
  std::size_t next = 0;   // where the line after it starts
};

class splitter {
 public:
  splitter(std::string_view in, const limits& lim) : in_(in), lim_(lim) {}

  std::vector<body_part> run() {
    std::size_t at = 0;
    if (in_.substr(0, 5) == "From ") {  // mbox separator line, as Dovecot's raw mail skips it
      std::size_t nl = in_.find('\n');
      at = nl == std::string_view::npos ? in_.size() : nl + 1;
    }
    part(at, 0, false);
    return std::move(out_);
  }

 private:
  std::size_t line_end(std::size_t at) const {
    std::size_t nl = in_.find('\n', at);
    return nl == std::string_view::npos ? in_.size() : nl + 1;
  }

  // Dovecot's boundary_line_find + boundary_find for the line starting at AT.
  std::optional<boundary_hit> boundary_at(std::size_t at) const {
    if (bounds_.empty() || parts_ >= lim_.max_parts) return std::nullopt;
    if (in_.size() - at < 2 || in_[at] != '-' || in_[at + 1] != '-') return std::nullopt;
    std::size_t end = line_end(at);
    std::string_view line = in_.substr(at + 2, end - at - 2);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool dashes = line.size() > 2 && line.substr(line.size() - 2) == "--";
    std::optional<std::size_t> best;
    for (std::size_t k = bounds_.size(); k-- > 0;) {
      const std::string& b = bounds_[k];
      if (b.size() > line.size() || line.compare(0, b.size(), b) != 0) continue;
      if (best && bounds_[*best].size() >= b.size()) continue;
      best = k;
      if (b.size() == line.size() || (b.size() + 2 == line.size() && dashes)) break;
    }
    if (!best) return std::nullopt;
    const std::string& b = bounds_[*best];
    bool close = line.size() >= b.size() + 2 && line.compare(b.size(), 2, "--") == 0;
    return boundary_hit{*best, close, at, end};
  }

  // Scans a body from AT to the next boundary line (or the end). Returns where the content
  // ends: the line end before the boundary belongs to the boundary.
  std::size_t scan(std::size_t at, std::optional<boundary_hit>& hit) const {
    hit = boundary_at(at);
    if (hit) return at;
    for (std::size_t nl = in_.find('\n', at); nl != std::string_view::npos;
         nl = in_.find('\n', nl + 1)) {
      hit = boundary_at(nl + 1);
      if (hit) return nl > at && in_[nl - 1] == '\r' ? nl - 1 : nl;
    }
    return in_.size();
  }

  // Reads the headers of the part at AT. Stops at a boundary line (then no body).
  part_head head(std::size_t& at, std::optional<boundary_hit>& hit) const {
    part_head h;
    std::string name, value;
    auto flush = [&] {
      if (name.empty()) return;
      std::string n = ascii_lower(name);
      if (n == "content-type") {
        h.sieve_type = sieve_content_type(value);
        if (!h.content_type) h.content_type = value;
      } else if (n == "content-transfer-encoding" && !h.transfer) {
        h.transfer = value;
      }
      name.clear();
    };
    while (at < in_.size()) {
      if ((hit = boundary_at(at))) break;
      std::size_t end = line_end(at);
      std::string_view line = in_.substr(at, end - at);
      at = end;
      std::string_view bare = line;
      if (!bare.empty() && bare.back() == '\n') bare.remove_suffix(1);
      if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
      if (bare.empty()) {
        h.has_body = true;
        break;
      }
      h.header_lines.append(bare).append("\r\n");
      if (bare[0] == ' ' || bare[0] == '\t') {
        value.append(bare);
        continue;
      }
      flush();
      std::size_t colon = bare.find(':');
      if (colon == std::string_view::npos) continue;
      name.assign(bare.substr(0, colon));
      while (!name.empty() && is_lwsp(name.back())) name.pop_back();
      value.assign(bare.substr(colon + 1));
    }
    flush();
    return h;
  }

  // Transfer- and charset-decoded content, as Dovecot's message decoder gives it.
  static std::string decode(std::string_view raw, const part_head& h) {
    cte enc = h.transfer ? parse_cte(*h.transfer) : cte::identity;
    std::string bytes;
    switch (enc) {
      case cte::unknown:
        return "";  // Dovecot skips a body it cannot decode
      case cte::identity:
        bytes.assign(raw);
        break;
      case cte::base64:
        bytes = decode_transfer(raw, transfer_encoding::base64);
        break;
      case cte::qp:
        bytes = decode_quoted_printable(raw);
        break;
    }
    return to_utf8_strict(bytes, plain_param(h.content_type.value_or(""), "charset").value_or(""));
  }

  void emit(const std::string& type, std::string content) {
    body_part p;
    p.content_type = ascii_lower(type);
    if (!content.empty() &&
        (p.content_type == "text/html" || p.content_type == "application/xhtml+xml"))
      p.text = dovecot_html_to_text(content);
    p.content = std::move(content);
    out_.push_back(std::move(p));
  }

  // One part from AT: its headers, then its body. Returns the boundary that ended it (none at
  // the end of the input); the caller goes on from there.
  std::optional<boundary_hit> part(std::size_t at, int depth, bool in_digest) {
    ++parts_;
    std::optional<boundary_hit> hit;
    part_head h = head(at, hit);
    if (!h.has_body) return hit;
    const std::string ct = h.content_type.value_or("");
    std::string type = ascii_lower(sieve_content_type(ct));
    bool deep_ok = depth + 1 < lim_.max_mime_depth && parts_ < lim_.max_parts;
    auto boundary = plain_param(ct, "boundary");
    if (deep_ok && type.rfind("multipart/", 0) == 0 && boundary && !boundary->empty())
      return multipart(at, depth, h, *boundary, type == "multipart/digest");
    if (deep_ok && (type == "message/rfc822" || (!h.content_type && in_digest))) {
      // Pigeonhole: the content is the attached message's header lines (read again by part())
      // when the part says "message/rfc822" as such; else (a digest's default) empty.
      std::string lines;
      if (h.sieve_type == "message/rfc822") {
        std::size_t inner_at = at;
        std::optional<boundary_hit> inner_hit;
        lines = head(inner_at, inner_hit).header_lines;
      }
      emit(h.sieve_type, std::move(lines));
      return part(at, depth + 1, false);
    }
    std::size_t end = scan(at, hit);
    emit(h.sieve_type, decode(in_.substr(at, end - at), h));
    return hit;
  }

  std::optional<boundary_hit> multipart(std::size_t at, int depth, const part_head& h,
                                        const std::string& b, bool digest) {
    bounds_.push_back(b);
    std::size_t level = bounds_.size() - 1;
    std::optional<boundary_hit> hit;
    std::size_t end = scan(at, hit);
    emit(h.sieve_type, decode(in_.substr(at, end - at), h));  // the preamble
    while (hit && hit->level == level && !hit->close) hit = part(hit->next, depth + 1, digest);
    if (!hit || hit->level < level) {  // the end, or an outer boundary ends this multipart
      if (bounds_.size() > level) bounds_.resize(level);
      return hit;
    }
    bounds_.resize(level);  // closed: the epilogue runs to an outer boundary or the end
    std::size_t from = hit->next;
    end = scan(from, hit);
    // Dovecot gives an epilogue only when it has bytes (the line end before a boundary is the
    // boundary's).
    if (end > from) emit(h.sieve_type, decode(in_.substr(from, end - from), h));
    return hit;
  }

  std::string_view in_;
  const limits& lim_;
  std::vector<std::string> bounds_;  // innermost last
  std::vector<body_part> out_;
  int parts_ = 0;
};

}  // namespace

std::vector<body_part> sieve_body_parts(std::string_view raw, const limits& lim) {
  if (static_cast<std::int64_t>(raw.size()) > lim.max_message_bytes)
    raw = raw.substr(0, static_cast<std::size_t>(lim.max_message_bytes));
  return splitter(raw, lim).run();
}

}  // namespace hd::mailparse
