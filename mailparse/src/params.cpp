#include "hd/mailparse/params.hpp"

#include "hd/common/message.hpp"
#include "hd/mailparse/charset.hpp"
#include "hd/mailparse/rfc2047.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <map>
#include <unordered_map>

namespace hd::mailparse {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > ' ' && u < 0x7f &&
         std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// True when `s` at `i` reads "name=" (a parameter whose ';' separator is missing).
bool starts_param(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && (is_token_char(s[j]) || s[j] == '*')) ++j;
  return j > i && j < s.size() && s[j] == '=';
}

// Where an unquoted value that began at `from` ends: the next ';', or the next white space
// followed by "name=" (a missing ';'). Values with spaces ("This is a test.txt") stay whole.
std::size_t unquoted_end(std::string_view s, std::size_t from) {
  for (std::size_t k = from; k < s.size(); ++k) {
    if (s[k] == ';') return k;
    if (is_space(s[k]) && k + 1 < s.size() && !is_space(s[k + 1]) && starts_param(s, k + 1))
      return k;
  }
  return s.size();
}

// Reads one value at `i`: a quoted string (backslash escapes; an unterminated quote runs to
// the end) or everything up to the next ';' (unquoted values with spaces are common). Leaves
// `i` at the ';' or at the start of the next parameter when its ';' is missing.
std::string read_value(std::string_view s, std::size_t& i, bool& quoted) {
  while (i < s.size() && is_space(s[i])) ++i;
  std::string out;
  quoted = i < s.size() && s[i] == '"';
  if (quoted) {
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i];
    }
    if (i < s.size()) ++i;                 // the closing quote
    while (i < s.size() && s[i] != ';') {  // anything after the closing quote is junk ...
      if (!is_space(s[i]) && starts_param(s, i)) break;  // ... unless a parameter
      ++i;
    }
    return out;
  }
  std::size_t end = unquoted_end(s, i);
  out = std::string(trim(s.substr(i, end - i)));
  i = end;
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The pieces of one RFC 2231 parameter: sections by number, each extended (percent-encoded)
// or not, and the charset from the first extended section.
struct rfc2231_param {
  std::map<int, std::pair<bool, std::string>> sections;
};

std::string join_2231(const rfc2231_param& p, std::vector<std::string>* defects) {
  std::string bytes, charset;
  bool first = true;
  for (const auto& [number, section] : p.sections) {
    std::string_view v = section.second;
    if (section.first && first) {  // charset'language'value
      std::size_t q1 = v.find('\'');
      std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) {
        charset = std::string(v.substr(0, q1));
        v.remove_prefix(q2 + 1);
      }
    }
    first = false;
    bytes += section.first ? percent_decode(v) : std::string(v);
  }
  if (charset.empty() && bytes.find("=?") != std::string::npos)
    return decode_unstructured(bytes, defects);
  return to_utf8(bytes, charset, defects, "parameter");
}

}  // namespace

std::optional<std::string> header_params::get(std::string_view name) const {
  for (const param& p : params) {
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

namespace {

// The leading token ends at the first ';' or, when that is missing, where the first
// parameter starts ("multipart/mixed boundary=x" after unfolding a folded header).
std::size_t token_end(std::string_view s, bool& missing_semicolon) {
  std::size_t semi = s.find(';');
  std::size_t limit = semi == std::string_view::npos ? s.size() : semi;
  std::size_t k = 0;
  while (k < limit && is_space(s[k])) ++k;
  for (; k < limit; ++k) {
    if (is_space(s[k]) && k + 1 < limit && !is_space(s[k + 1]) && starts_param(s, k + 1)) {
      missing_semicolon = true;
      return k;
    }
  }
  return semi;
}

struct collected {
  std::vector<std::string> order;  // base names in order of first appearance
  std::unordered_map<std::string, rfc2231_param> extended;
  std::unordered_map<std::string, std::string> plain;
};

void add_param(collected& c, std::string name, std::string value) {
  std::size_t star = name.find('*');
  std::string base = name.substr(0, star);
  if (!c.extended.count(base) && !c.plain.count(base)) c.order.push_back(base);
  if (star == std::string::npos) {
    c.plain.emplace(base, std::move(value));  // the first one wins
    c.extended.try_emplace(base);             // marks the name as seen
    return;
  }
  std::string_view rest = std::string_view(name).substr(star + 1);
  bool ext = !rest.empty() && rest.back() == '*';
  if (ext) rest.remove_suffix(1);
  if (rest.empty() && name.back() == '*') ext = true;
  int number = rest.empty() ? 0 : std::atoi(std::string(rest).c_str());
  c.extended[base].sections.emplace(number, std::make_pair(ext, std::move(value)));
}

}  // namespace

header_params parse_params(std::string_view raw, std::vector<std::string>* defects,
                           const param_limits& lim) {
  std::string s = unfold(raw);
  header_params out;
  bool missing_semicolon = false;
  std::size_t i = token_end(s, missing_semicolon);
  out.token = ascii_lower(trim(std::string_view(s).substr(0, i)));
  collected c;
  int count = 0;
  while (i != std::string::npos && i < s.size()) {
    if (s[i] == ';' || is_space(s[i])) ++i;  // past ';' (or the space before a parameter)
    std::size_t eq = s.find_first_of("=;", i);
    if (eq == std::string::npos || s[eq] == ';') {
      i = eq;
      continue;
    }
    if (count >= lim.max_params) {
      if (defects)
        defects->push_back(
            fmt::format("more than {} parameters in one header (max_params); the rest dropped",
                        lim.max_params));
      break;
    }
    if (++count % 256 == 0 && lim.over_budget && lim.over_budget()) {
      if (defects) defects->emplace_back("parameters: the time budget ran out; the rest dropped");
      break;
    }
    std::string name = ascii_lower(trim(std::string_view(s).substr(i, eq - i)));
    i = eq + 1;
    bool quoted = false;
    std::string value = read_value(s, i, quoted);
    if (i < s.size() && s[i] != ';') missing_semicolon = true;
    if (!name.empty()) add_param(c, std::move(name), std::move(value));
  }
  if (missing_semicolon && defects)
    defects->emplace_back("header parameter without the ';' before it; read anyway");
  for (const std::string& name : c.order) {
    auto e = c.extended.find(name);
    if (e != c.extended.end() && !e->second.sections.empty()) {
      out.params.push_back({name, join_2231(e->second, defects)});
    } else {
      out.params.push_back({name, decode_unstructured(c.plain[name], defects)});
    }
  }
  return out;
}

}  // namespace hd::mailparse
