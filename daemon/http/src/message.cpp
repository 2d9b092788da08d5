#include "hd/http/message.hpp"

#include <algorithm>

namespace hd::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes S ('+' as space when PLUS); nullopt on a bad escape or a NUL.
std::optional<std::string> decode(std::string_view s, bool plus) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> request::param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<target_parts> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string_view path = target, query;
  if (std::size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  target_parts out;
  std::optional<std::string> p = decode(path, false);
  if (!p) return std::nullopt;
  out.path = std::move(*p);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::optional<std::string> k = decode(pair.substr(0, eq), true);
    std::optional<std::string> v =
        decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!k || !v) return std::nullopt;
    out.query.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

std::string client_address(std::string_view peer, std::optional<std::string_view> xff,
                           const std::vector<std::string>& trusted) {
  auto is_trusted = [&](std::string_view a) {
    return std::find(trusted.begin(), trusted.end(), a) != trusted.end();
  };
  if (!xff || !is_trusted(peer)) return std::string(peer);
  // Walk from the right: each trusted proxy appended the address it saw.
  std::string_view rest = *xff;
  std::string_view last(peer);
  while (!rest.empty()) {
    std::size_t comma = rest.rfind(',');
    std::string_view a = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (a.empty()) continue;
    last = a;
    if (!is_trusted(a)) break;
  }
  return std::string(last);
}

}  // namespace hd::http
