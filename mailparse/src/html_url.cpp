#include "html_url.hpp"

#include <cctype>

namespace hd::mailparse {

std::string clean_url(std::string_view v) {
  std::string s;
  s.reserve(v.size());
  for (char c : v) {
    if (c != '\t' && c != '\n' && c != '\r') s += c;
  }
  std::size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= 0x20) --e;
  return s.substr(b, e - b);
}

std::string url_scheme(std::string_view url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return {};
  std::string scheme;
  for (char c : url) {
    if (c == ':') return scheme;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
    scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return {};
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool safe_data_image(std::string_view url) {
  std::string head;
  for (std::size_t i = 0; i < url.size() && i < 20; ++i)
    head += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
  for (std::string_view t :
       {"data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"}) {
    if (head.size() > t.size() && head.compare(0, t.size(), t) == 0 &&
        (head[t.size()] == ';' || head[t.size()] == ','))
      return true;
  }
  return false;
}

std::optional<std::string> link_url(std::string_view href) {
  std::string url = clean_url(href);
  std::string scheme = url_scheme(url);
  if (scheme == "http" || scheme == "https" || scheme == "mailto") return url;
  return std::nullopt;
}

}  // namespace hd::mailparse
