#include "hd/templates/template.hpp"

#include "hd/common/spelling.hpp"

#include <kainjow/mustache.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>
#include <unordered_map>

namespace hd::templates {
namespace {

namespace mu = kainjow::mustache;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A section body loses the one newline that separates it from the next marker line.
std::string strip_final_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Partials ({{> name}}) and delimiter changes ({{=<% %>=}}) are refused: a template is one
// self-contained file, and the Mustache library renders partials recursively, so a partial
// could make rendering recurse until the stack overflows (found by fuzz_template). With the
// delimiters fixed, every tag starts with "{{".
std::optional<std::string> forbidden_tag(std::string_view src) {
  for (std::size_t at = src.find("{{"); at != std::string_view::npos; at = src.find("{{", at + 2)) {
    std::size_t i = at + 2;
    while (i < src.size() && (src[i] == '{' || src[i] == ' ' || src[i] == '\t')) ++i;
    if (i < src.size() && (src[i] == '>' || src[i] == '=')) {
      return src[i] == '>' ? "partials ({{> name}}) are not supported"
                           : "changing the delimiters ({{=...=}}) is not supported";
    }
  }
  return std::nullopt;
}

std::optional<error<errc>> check_mustache(const std::string& src, std::string_view origin,
                                          std::string_view section) {
  if (auto why = forbidden_tag(src)) {
    return fail(errc::syntax, fmt::format("{}: section {}: {}", origin, section, *why));
  }
  mu::mustache m(src);
  if (m.is_valid()) return std::nullopt;
  return fail(errc::syntax, fmt::format("{}: section {}: {}", origin, section, m.error_message()));
}

void set_if(mu::data& d, const std::string& key, const std::string& value) {
  if (!value.empty()) d.set(key, value);
}

mu::data to_data(const reply_vars& v) {
  mu::data request;
  request.set("id", std::to_string(v.request_id));
  set_if(request, "tag", v.request_tag);
  set_if(request, "title", v.request_title);
  set_if(request, "category", v.category);
  set_if(request, "priority", v.priority);
  set_if(request, "owner", v.owner);
  mu::data person;
  set_if(person, "name", v.person_name);
  set_if(person, "first_name", v.person_first_name);
  set_if(person, "email", v.person_email);
  mu::data d;
  d.set("request", request);
  d.set("person", person);
  set_if(d, "company", v.company);
  set_if(d, "mailbox", v.mailbox);
  set_if(d, "team", v.team);
  set_if(d, "original_subject", v.original_subject);
  set_if(d, "quote", v.quote);
  set_if(d, "language", v.language);
  set_if(d, "text", v.agent_text);
  mu::data agent;
  set_if(agent, "name", v.agent_name);
  d.set("agent", agent);
  return d;
}

// Templates compiled once per thread. Parsing a template cost more than rendering it, and was
// done for every acknowledgement (bench/README.md, section 1). The library's render is not
// const (it keeps an error message), so a compiled template is used only by the thread that
// compiled it. Keyed by the source text, so a reload (SIGHUP) that changes a template compiles
// it afresh; the cache is emptied when it holds k_compiled_max templates.
constexpr std::size_t k_compiled_max = 256;

struct source_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

mu::mustache& compiled(const std::string& src, bool html) {
  using cache = std::unordered_map<std::string, mu::mustache, source_hash, std::equal_to<>>;
  thread_local std::array<cache, 2> by_kind;  // [0] text (not escaped), [1] HTML (escaped)
  cache& c = by_kind[html ? 1 : 0];
  if (auto it = c.find(std::string_view(src)); it != c.end()) return it->second;
  if (c.size() >= k_compiled_max) c.clear();
  mu::mustache m(src);
  if (!html) m.set_custom_escape([](const std::string& s) { return s; });
  return c.emplace(src, std::move(m)).first->second;
}

std::string render_one(const std::string& src, const mu::data& d, bool html) {
  std::string out;
  compiled(src, html).render(d, [&out](const std::string& part) { out += part; });
  return out;
}

// A subject is one line: every control character (CR, LF, TAB, ...) becomes a space and runs
// of spaces collapse, so nothing a customer wrote can start a new header line.
std::string one_line(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool space = c < 0x20 || c == 0x7f || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += ch;
    }
  }
  return std::string(trim(out));
}

// One Mustache tag of a template file, with its place in the file.
struct tag {
  int line = 0, column = 0;
  char sigil = 0;  ///< '#', '^', '/', '!', '&', '{', or 0 for a plain variable
  std::string name;
};

struct scan_result {
  std::vector<tag> tags;
  std::string error;  ///< "LINE:COLUMN: what", empty when the tags nest properly
};

// Walks the tags of a template file after its first section line, counting lines and
// columns (in characters), so syntax errors point at the place in the file, not at an offset
// within one section. A section must close within the section of the file that opened it.
scan_result scan_tags(std::string_view src) {
  scan_result out;
  std::vector<tag> open;
  int line = 1, column = 1;
  bool in_body = false, line_start = true;
  auto unclosed = [&] {
    const tag& t = open.back();
    out.error = fmt::format("{}:{}: '{{{{{}{}}}}}' is never closed (no '{{{{/{}}}}}')", t.line,
                            t.column, t.sigil, t.name, t.name);
  };
  for (std::size_t i = 0; i < src.size() && out.error.empty();) {
    if (line_start && src.substr(i).starts_with("--- ")) {
      if (!open.empty()) {
        unclosed();
        return out;
      }
      in_body = true;
    }
    line_start = false;
    if (in_body && src.substr(i).starts_with("{{")) {
      tag t{line, column, 0, {}};
      bool triple = src.substr(i).starts_with("{{{");
      std::string_view close = triple ? "}}}" : "}}";
      std::size_t start = i + (triple ? 3 : 2);
      std::size_t end = src.find(close, start);
      if (end == std::string_view::npos) {
        out.error = fmt::format("{}:{}: '{}' is never closed (no '{}')", line, column,
                                triple ? "{{{" : "{{", close);
        return out;
      }
      std::string_view inner = trim(src.substr(start, end - start));
      if (triple) {
        t.sigil = '{';
      } else if (!inner.empty() && std::string_view("#^/!&").find(inner[0]) != inner.npos) {
        t.sigil = inner[0];
        inner = trim(inner.substr(1));
      }
      t.name = std::string(inner);
      if (t.sigil == '#' || t.sigil == '^') open.push_back(t);
      if (t.sigil == '/') {
        if (open.empty()) {
          out.error =
              fmt::format("{}:{}: '{{{{/{}}}}}' closes no open section", line, column, t.name);
        } else if (open.back().name != t.name) {
          out.error = fmt::format("{}:{}: '{{{{/{}}}}}' closes '{{{{{}{}}}}}' opened at {}:{}",
                                  line, column, t.name, open.back().sigil, open.back().name,
                                  open.back().line, open.back().column);
        } else {
          open.pop_back();
        }
      }
      out.tags.push_back(t);
      // Count the lines and columns the tag spans.
      for (std::size_t k = i; k < end + close.size(); ++k) {
        if (src[k] == '\n') {
          ++line;
          column = 1;
        } else if (!is_continuation(src[k])) {
          ++column;
        }
      }
      i = end + close.size();
      continue;
    }
    if (src[i] == '\n') {
      ++line;
      column = 1;
      line_start = true;
    } else if (!is_continuation(src[i])) {
      ++column;
    }
    ++i;
  }
  if (out.error.empty() && !open.empty()) unclosed();
  return out;
}

}  // namespace

result<reply_template, errc> parse_template_file(std::string_view contents,
                                                 std::string_view origin) {
  reply_template t;
  std::string* current = nullptr;
  std::string html;
  bool have_subject = false, have_text = false, have_html = false;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < contents.size();) {
    std::size_t nl = contents.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? contents.size() : nl + 1;
    std::string_view line = contents.substr(pos, end - pos);
    pos = end;
    ++line_no;
    std::string_view bare = trim(line.substr(0, line.size() - (line.ends_with('\n') ? 1 : 0)));
    if (bare.starts_with("--- ")) {
      std::string_view name = trim(bare.substr(4));
      bool* seen = name == "subject" ? &have_subject
                   : name == "text"  ? &have_text
                   : name == "html"  ? &have_html
                                     : nullptr;
      if (seen == nullptr || *seen) {
        return fail(errc::syntax,
                    fmt::format("{}:{}: unknown or repeated section '{}'", origin, line_no, name));
      }
      *seen = true;
      current = name == "subject" ? &t.subject : name == "text" ? &t.text : &html;
      continue;
    }
    if (current == nullptr) {
      if (bare.empty() || bare.starts_with("#")) continue;
      return fail(errc::syntax, fmt::format("{}:{}: text before the first section (--- subject)",
                                            origin, line_no));
    }
    current->append(line);
  }
  if (!have_subject || !have_text) {
    return fail(errc::syntax,
                fmt::format("{}: needs a '--- subject' and a '--- text' section", origin));
  }
  if (scan_result s = scan_tags(contents); !s.error.empty()) {
    return fail(errc::syntax, fmt::format("{}:{}", origin, s.error));
  }
  t.subject = strip_final_newline(std::move(t.subject));
  t.text = strip_final_newline(std::move(t.text)) + "\n";
  if (have_html) t.html = strip_final_newline(std::move(html)) + "\n";
  if (auto e = check_mustache(t.subject, origin, "subject")) return *e;
  if (auto e = check_mustache(t.text, origin, "text")) return *e;
  if (t.html) {
    if (auto e = check_mustache(*t.html, origin, "html")) return *e;
  }
  return t;
}

const std::vector<std::string>& variable_names() {
  static const std::vector<std::string> names = {"request",
                                                 "request.id",
                                                 "request.tag",
                                                 "request.title",
                                                 "request.category",
                                                 "request.priority",
                                                 "request.owner",
                                                 "person",
                                                 "person.name",
                                                 "person.first_name",
                                                 "person.email",
                                                 "company",
                                                 "mailbox",
                                                 "team",
                                                 "original_subject",
                                                 "quote",
                                                 "language",
                                                 "text",
                                                 "agent",
                                                 "agent.name"};
  return names;
}

std::vector<std::string> template_warnings(std::string_view contents, std::string_view origin) {
  std::vector<std::string> out;
  const std::vector<std::string>& known = variable_names();
  auto is_known = [&](const std::string& n) {
    return std::find(known.begin(), known.end(), n) != known.end();
  };
  std::vector<std::string> context;  // the open sections, for {{#person}}{{name}}{{/person}}
  for (const tag& t : scan_tags(contents).tags) {
    if (t.sigil == '!') continue;
    if (t.sigil == '/') {
      if (!context.empty()) context.pop_back();
      continue;
    }
    bool ok = t.name == "." || is_known(t.name);
    for (const std::string& c : context) ok = ok || is_known(c + "." + t.name);
    if (!ok) {
      out.push_back(fmt::format(
          "{}:{}:{}: unknown variable '{}'{}; it would render as nothing (the variables are "
          "listed in docs/templates.md)",
          origin, t.line, t.column, t.name, did_you_mean(t.name, known)));
    }
    if (t.sigil == '#' || t.sigil == '^') context.push_back(t.name);
  }
  return out;
}

rendered render(const reply_template& t, const reply_vars& v) {
  mu::data d = to_data(v);
  rendered r;
  r.subject = one_line(render_one(t.subject, d, false));
  r.text = render_one(t.text, d, false);
  if (t.html) r.html = render_one(*t.html, d, true);
  return r;
}

std::string first_name(std::string_view name) {
  name = trim(name);
  if (std::size_t comma = name.find(','); comma != std::string_view::npos) {
    name = trim(name.substr(comma + 1));
  }
  std::size_t sp = name.find(' ');
  std::string_view first = trim(name.substr(0, sp));
  // "info@x" or '"' remnants are not names.
  if (first.find('@') != std::string_view::npos || first.find('"') != std::string_view::npos) {
    return {};
  }
  return std::string(first);
}

std::string make_quote(std::string_view text, std::size_t max_lines, std::size_t max_bytes) {
  std::string out;
  std::size_t lines = 0;
  bool cut = false;
  for (std::size_t pos = 0; pos < text.size() && !cut;) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line == "-- " || line == "--") break;
    line = trim(line);
    if (line.empty() || line.starts_with(">")) continue;
    if (lines == max_lines) {
      cut = true;
      break;
    }
    if (out.size() + line.size() + 1 > max_bytes) {
      std::size_t room = max_bytes > out.size() ? max_bytes - out.size() : 0;
      while (room > 0 && room < line.size() && is_continuation(line[room])) --room;
      out.append(line.substr(0, room));
      cut = true;
      break;
    }
    out.append(line).append("\n");
    ++lines;
  }
  if (cut) {
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    out += " ...\n";
  }
  return out.empty() ? out : out.substr(0, out.size() - 1);
}

std::string normalize_language(std::string_view tag) {
  std::string out;
  for (char c : trim(tag)) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out += c;
  }
  return out;
}

void library::add(std::string_view name, std::string_view language, reply_template t) {
  by_name_[std::string(name)][normalize_language(language)] = std::move(t);
}

const reply_template* library::find(std::string_view name, std::string_view language) const {
  auto n = by_name_.find(name);
  if (n == by_name_.end()) return nullptr;
  auto l = n->second.find(std::string(language));
  return l == n->second.end() ? nullptr : &l->second;
}

std::optional<std::string> library::pick_language(std::string_view name, std::string_view wanted,
                                                  std::string_view fallback) const {
  auto n = by_name_.find(name);
  if (n == by_name_.end() || n->second.empty()) return std::nullopt;
  const auto& langs = n->second;
  std::vector<std::string> tries;
  for (std::string_view w : {wanted, fallback}) {
    std::string tag = normalize_language(w);
    if (tag.empty()) continue;
    tries.push_back(tag);
    std::string primary = tag.substr(0, tag.find('-'));
    tries.push_back(primary);
    if (primary == "nb" || primary == "nn" || primary == "no") {
      for (const char* alias : {"no", "nb", "nn"}) tries.emplace_back(alias);
    }
  }
  tries.emplace_back("en");
  for (const std::string& t : tries) {
    if (langs.contains(t)) return t;
  }
  return langs.begin()->first;
}

std::vector<std::string> library::languages(std::string_view name) const {
  std::vector<std::string> out;
  auto n = by_name_.find(name);
  if (n != by_name_.end()) {
    for (const auto& [lang, t] : n->second) out.push_back(lang);
  }
  return out;
}

std::vector<std::string> library::names() const {
  std::vector<std::string> out;
  for (const auto& [name, langs] : by_name_) out.push_back(name);
  return out;
}

}  // namespace hd::templates
