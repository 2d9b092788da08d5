#include "hd/mailparse/params.hpp"

#include "hd/common/message.hpp"
#include "hd/mailparse/charset.hpp"
#include "hd/mailparse/rfc2047.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

namespace hd::mailparse {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Reads one value at `i`: a quoted string (backslash escapes; an unterminated quote runs to
// the end) or everything up to the next ';' (unquoted values with spaces are common).
std::string read_value(std::string_view s, std::size_t& i, bool& quoted) {
  while (i < s.size() && is_space(s[i])) ++i;
  std::string out;
  quoted = i < s.size() && s[i] == '"';
  if (quoted) {
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i];
    }
    while (i < s.size() && s[i] != ';') ++i;  // anything after the closing quote is junk
    return out;
  }
  std::size_t end = s.find(';', i);
  if (end == std::string_view::npos) end = s.size();
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

header_params parse_params(std::string_view raw, std::vector<std::string>* defects) {
  std::string s = unfold(raw);
  header_params out;
  std::size_t i = s.find(';');
  out.token = ascii_lower(trim(std::string_view(s).substr(0, i)));
  std::vector<std::string> order;
  std::map<std::string, rfc2231_param> extended;
  std::map<std::string, std::string> plain;
  while (i != std::string::npos && i < s.size()) {
    ++i;  // past ';'
    std::size_t eq = s.find_first_of("=;", i);
    if (eq == std::string::npos || s[eq] == ';') {
      i = eq;
      continue;
    }
    std::string name = ascii_lower(trim(std::string_view(s).substr(i, eq - i)));
    i = eq + 1;
    bool quoted = false;
    std::string value = read_value(s, i, quoted);
    if (name.empty()) continue;
    std::size_t star = name.find('*');
    std::string base = name.substr(0, star);
    if (std::find(order.begin(), order.end(), base) == order.end()) order.push_back(base);
    if (star == std::string::npos) {
      if (!plain.count(base)) plain[base] = value;
      continue;
    }
    std::string_view rest = std::string_view(name).substr(star + 1);
    bool ext = !rest.empty() && rest.back() == '*';
    if (ext) rest.remove_suffix(1);
    if (rest.empty() && name.back() == '*') ext = true;
    int number = rest.empty() ? 0 : std::atoi(std::string(rest).c_str());
    extended[base].sections.emplace(number, std::make_pair(ext, value));
  }
  for (const std::string& name : order) {
    auto e = extended.find(name);
    if (e != extended.end()) {
      out.params.push_back({name, join_2231(e->second, defects)});
    } else {
      out.params.push_back({name, decode_unstructured(plain[name], defects)});
    }
  }
  return out;
}

}  // namespace hd::mailparse
