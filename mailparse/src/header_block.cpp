#include "header_block.hpp"

#include "hd/common/message.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace hd::mailparse {
namespace {

constexpr std::size_t npos_v = std::string_view::npos;

enum class line_kind { header, spaced_header, continuation, other };

line_kind classify_line(std::string_view line) {
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) return line_kind::continuation;
  std::size_t i = 0;
  while (i < line.size() && line[i] > ' ' && line[i] < 0x7f && line[i] != ':') ++i;
  std::size_t j = i;
  while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
  if (i == 0 || j >= line.size() || line[j] != ':') return line_kind::other;
  return j == i ? line_kind::header : line_kind::spaced_header;
}

std::string_view field_name(std::string_view line) {
  return line.substr(0, line.find_first_of(" \t:"));
}

// Headers that identify a mail and decide where it goes: kept whatever their position.
constexpr std::array<std::string_view, 17> k_identity{"from",
                                                      "sender",
                                                      "reply-to",
                                                      "to",
                                                      "cc",
                                                      "subject",
                                                      "message-id",
                                                      "in-reply-to",
                                                      "references",
                                                      "date",
                                                      "return-path",
                                                      "mime-version",
                                                      "content-type",
                                                      "content-transfer-encoding",
                                                      "content-disposition",
                                                      "auto-submitted",
                                                      "precedence"};

bool is_identity(std::string_view name) {
  std::string n = ascii_lower(name);
  return std::find(k_identity.begin(), k_identity.end(), n) != k_identity.end();
}

// Names real mail uses: a line "Name: x" with one of these after junk lines proves the block
// goes on (a body line such as "Note: call me" does not).
bool is_known_header(std::string_view name) {
  std::string n = ascii_lower(name);
  if (is_identity(n)) return true;
  for (std::string_view p : {"x-", "list-", "content-", "resent-", "arc-", "dkim-", "received"}) {
    if (n.rfind(p, 0) == 0) return true;
  }
  for (std::string_view k : {"bcc", "comments", "keywords", "thread-topic", "thread-index",
                             "importance", "priority", "organization", "user-agent", "delivered-to",
                             "authentication-results", "disposition-notification-to"}) {
    if (n == k) return true;
  }
  return false;
}

// One-token fields: a stray line joined to them would make them unreadable.
bool is_single_token(std::string_view name) {
  std::string n = ascii_lower(name);
  for (std::string_view k : {"date", "message-id", "in-reply-to", "mime-version",
                             "content-transfer-encoding", "return-path", "content-id"}) {
    if (n == k) return true;
  }
  return false;
}

struct field {
  std::string text;  // every line of the field, line ends included
  std::string_view name;
};

std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t nl = head.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? head.size() : nl + 1;
    lines.push_back(head.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

std::string with_line_end(std::string_view line) {
  std::string s(line);
  if (s.empty() || s.back() != '\n') s += '\n';
  return s;
}

// Cuts a field to `max` bytes: at its last line end within the limit, else at the last ','
// (address lists), else hard; the result ends with a line end.
void cut_field(field& f, std::size_t max) {
  if (f.text.size() <= max) return;
  std::size_t cut = f.text.rfind('\n', max - 1);
  if (cut == std::string::npos || cut < f.name.size()) {
    cut = f.text.rfind(',', max - 1);
    if (cut == std::string::npos || cut < f.name.size()) cut = max - 1;
    // Keep whole UTF-8 characters.
    while (cut > 0 && (static_cast<unsigned char>(f.text[cut]) & 0xC0) == 0x80) --cut;
    f.text.resize(cut);
    f.text += '\n';
    return;
  }
  f.text.resize(cut + 1);
}

}  // namespace

namespace {

bool is_param_name_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > ' ' && u < 0x7f &&
         std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// Where a ';' is missing in the Content-Type field whose value starts at `v`: the offset just
// after the type/subtype token when white space and "name=" follow it, else npos.
std::size_t missing_semicolon_at(std::string_view in, std::size_t v) {
  std::size_t i = v;
  auto ws = [&](std::size_t k) {
    return k < in.size() && (in[k] == ' ' || in[k] == '\t' || in[k] == '\r' || in[k] == '\n');
  };
  while (i < in.size() && (in[i] == ' ' || in[i] == '\t')) ++i;
  std::size_t token = i;
  while (i < in.size() && !ws(i) && in[i] != ';') ++i;
  if (i == token || in.substr(token, i - token).find('/') == std::string_view::npos) return npos_v;
  std::size_t end = i;
  // White space, possibly a fold (line end then SP/HT); not the end of the field.
  bool folded_ok = true;
  while (ws(i)) {
    if (in[i] == '\n' && !(i + 1 < in.size() && (in[i + 1] == ' ' || in[i + 1] == '\t')))
      folded_ok = false;
    if (!folded_ok) break;
    ++i;
  }
  if (!folded_ok || i == end) return npos_v;
  std::size_t name = i;
  while (i < in.size() && (is_param_name_char(in[i]) || in[i] == '*')) ++i;
  if (i == name || i >= in.size() || in[i] != '=') return npos_v;
  return end;
}

}  // namespace

namespace {

// The end of the header field starting at `line` (after its last continuation line's LF).
std::size_t field_end(std::string_view in, std::size_t line) {
  std::size_t nl = in.find('\n', line);
  while (nl != std::string_view::npos && nl + 1 < in.size() &&
         (in[nl + 1] == ' ' || in[nl + 1] == '\t'))
    nl = in.find('\n', nl + 1);
  return nl == std::string_view::npos ? in.size() : nl + 1;
}

// Where to cut the value of a MIME field [from, end): before its (max_params+1)-th ';'
// outside quotes, or before the last ';' within max_bytes; npos when it is within both.
std::size_t param_cut(std::string_view in, std::size_t from, std::size_t end, int max_params,
                      std::int64_t max_bytes) {
  int semis = 0;
  bool quoted = false;
  std::size_t last_semi = npos_v;
  for (std::size_t k = from; k < end; ++k) {
    char c = in[k];
    if (c == '\\' && quoted) {
      ++k;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (static_cast<std::int64_t>(k - from) > max_bytes) return last_semi == npos_v ? k : last_semi;
    if (c == ';' && !quoted) {
      if (++semis > max_params) return k;
      last_semi = k;
    }
  }
  return npos_v;
}

}  // namespace

std::optional<std::string> repair_mime_fields(std::string_view in, const limits& lim,
                                              std::vector<std::string>& defects) {
  constexpr std::string_view k_type = "content-type:", k_disp = "content-disposition:";
  std::optional<std::string> out;
  std::size_t copied = 0;
  bool semicolon = false, cut = false;
  auto take = [&](std::size_t upto) {
    if (!out) out.emplace(), out->reserve(in.size() + 16);
    out->append(in.substr(copied, upto - copied));
    copied = upto;
  };
  for (std::size_t line = 0; line < in.size();) {
    bool type = in.size() - line > k_type.size() && iequals(in.substr(line, k_type.size()), k_type);
    bool disp = !type && in.size() - line > k_disp.size() &&
                iequals(in.substr(line, k_disp.size()), k_disp);
    if (!type && !disp) {
      std::size_t nl = in.find('\n', line);
      if (nl == std::string_view::npos) break;
      line = nl + 1;
      continue;
    }
    std::size_t value = line + (type ? k_type.size() : k_disp.size());
    std::size_t end = field_end(in, line);
    std::size_t at = missing_semicolon_at(in, value);
    if (at != npos_v && at < end) {
      take(at);
      out->push_back(';');
      semicolon = true;
    }
    std::size_t c = param_cut(in, value, end, lim.max_params, lim.max_header_field_bytes);
    if (c != npos_v && c > copied) {
      take(c);
      std::size_t eol = end;  // keep the field's own line end
      while (eol > c && (in[eol - 1] == '\n' || in[eol - 1] == '\r')) --eol;
      copied = eol;
      cut = true;
    }
    line = end;
  }
  if (!out) return std::nullopt;
  out->append(in.substr(copied));
  if (semicolon) defects.emplace_back("header parameter without the ';' before it; read anyway");
  if (cut)
    defects.push_back(fmt::format(
        "a Content-Type or Content-Disposition over {} parameters or {} bytes (max_params, "
        "max_header_field_bytes); cut",
        lim.max_params, lim.max_header_field_bytes));
  return out;
}

std::optional<std::string> repair_header_block(std::string_view head, bool terminated,
                                               const limits& lim,
                                               std::vector<std::string>& defects) {
  std::vector<std::string_view> lines = split_lines(head);
  // known_after[i]: a known header line comes after line i (before the blank line).
  std::vector<char> known_after(lines.size() + 1, 0);
  for (std::size_t i = lines.size(); i-- > 1;) {
    line_kind k = classify_line(lines[i]);
    bool known = (k == line_kind::header || k == line_kind::spaced_header) &&
                 is_known_header(field_name(lines[i]));
    known_after[i - 1] = static_cast<char>(known_after[i] || known);
  }
  std::vector<field> fields;
  bool changed = false;
  std::string body;  // lines that turned out to be the body (the blank line was missing)
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    line_kind kind = classify_line(line);
    if (kind == line_kind::header) {
      fields.push_back({with_line_end(line), field_name(line)});
      if (line.back() != '\n') changed = true;
      continue;
    }
    if (kind == line_kind::spaced_header) {
      std::size_t colon = line.find(':');
      fields.push_back(
          {std::string(field_name(line)) + with_line_end(line.substr(colon)), field_name(line)});
      defects.emplace_back("header names followed by white space repaired");
      changed = true;
      continue;
    }
    if (kind == line_kind::continuation && !fields.empty()) {
      fields.back().text += with_line_end(line);
      continue;
    }
    // A line that is no header. With no known header after it and another such line next
    // (or the end of an unterminated block), the body starts here.
    line_kind next = i + 1 < lines.size() ? classify_line(lines[i + 1])
                     : terminated         ? line_kind::header
                                          : line_kind::other;
    if (!known_after[i] && (next == line_kind::other || next == line_kind::continuation)) {
      if (fields.empty()) return std::nullopt;  // no header at all: not ours to fix
      defects.emplace_back("no blank line between headers and body; inserted one");
      for (std::size_t k = i; k < lines.size(); ++k) body.append(lines[k]);
      changed = true;
      break;
    }
    changed = true;
    if (fields.empty()) {
      if (!known_after[i] && next != line_kind::header && next != line_kind::spaced_header)
        return std::nullopt;
      defects.emplace_back("junk line before the headers dropped");
    } else if (is_single_token(fields.back().name)) {
      defects.emplace_back("line without a colon in the header block dropped");
    } else {
      std::string_view t = line;
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
      if (!t.empty()) fields.back().text += " " + std::string(t) + "\n";
      defects.emplace_back(
          "line without a colon in the header block read as a continuation of the header "
          "before it");
    }
  }
  // Limits: each field cut; past the count or the block size only identity headers stay.
  std::string out;
  std::size_t total = 0;
  int count = 0;
  std::vector<std::string> kept_identity;
  bool dropped = false;
  for (field& f : fields) {
    if (static_cast<std::int64_t>(f.text.size()) > lim.max_header_field_bytes) {
      defects.push_back(fmt::format("header {} over {} bytes (max_header_field_bytes); cut",
                                    ascii_lower(f.name), lim.max_header_field_bytes));
      cut_field(f, static_cast<std::size_t>(lim.max_header_field_bytes));
      changed = true;
    }
    ++count;
    bool over = count > lim.max_header_fields ||
                static_cast<std::int64_t>(total + f.text.size()) > lim.max_header_bytes;
    if (over) {
      std::string n = ascii_lower(f.name);
      bool first_of_identity =
          is_identity(n) &&
          std::find(kept_identity.begin(), kept_identity.end(), n) == kept_identity.end();
      if (!first_of_identity) {
        dropped = true;
        changed = true;
        continue;
      }
    }
    if (is_identity(f.name)) kept_identity.push_back(ascii_lower(f.name));
    total += f.text.size();
    out += f.text;
  }
  if (dropped)
    defects.push_back(fmt::format(
        "header block over {} bytes or {} fields (max_header_bytes, max_header_fields); other "
        "headers past it dropped, identity headers kept",
        lim.max_header_bytes, lim.max_header_fields));
  if (!changed) return std::nullopt;
  if (!body.empty()) {
    out += "\n";
    out += body;
  }
  return out;
}

}  // namespace hd::mailparse
