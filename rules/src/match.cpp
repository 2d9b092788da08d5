#include "match.hpp"

#include <algorithm>
#include <functional>

namespace hd::rules {
namespace {

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_folded(std::string_view a, std::string_view folded) {
  if (a.size() != folded.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != folded[i]) return false;
  return true;
}

// i;ascii-numeric (RFC 4790 section 9.1): the leading digits as a number; a string that does
// not start with a digit is positive infinity.
int numeric_compare(std::string_view a, std::string_view b) {
  auto digits = [](std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    std::string_view d = s.substr(0, n);
    while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
    return std::pair<bool, std::string_view>{n > 0, d};
  };
  auto [an, ad] = digits(a);
  auto [bn, bd] = digits(b);
  if (!an || !bn) return an == bn ? 0 : (an ? -1 : 1);
  if (ad.size() != bd.size()) return ad.size() < bd.size() ? -1 : 1;
  int c = ad.compare(bd);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare(comparator cmp, std::string_view a, std::string_view b) {
  if (cmp == comparator::numeric) return numeric_compare(a, b);
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(cmp == comparator::casemap ? fold(a[i]) : a[i]);
    unsigned char y = static_cast<unsigned char>(cmp == comparator::casemap ? fold(b[i]) : b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

bool regex_match(const match_spec& m, std::string_view value, const RE2& re,
                 std::vector<std::string>* captures) {
  int groups = captures ? std::min(re.NumberOfCapturingGroups(), 9) : 0;
  std::vector<re2::StringPiece> sub(static_cast<std::size_t>(groups) + 1);
  RE2::Anchor anchor = m.type == match_type::matches ? RE2::ANCHOR_BOTH : RE2::UNANCHORED;
  if (!re.Match(value, 0, value.size(), anchor, sub.data(), groups + 1)) return false;
  if (captures) {
    captures->clear();
    // :matches has no ${0} group of its own: the whole value is ${0}.
    for (const auto& s : sub) captures->emplace_back(s.data() ? std::string(s) : std::string());
  }
  return true;
}

}  // namespace

bool contains_folded(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  if (needle.size() > 32) {
    // Long keys: Boyer-Moore over a folded copy keeps the search linear.
    std::string h(hay);
    std::transform(h.begin(), h.end(), h.begin(), fold);
    std::boyer_moore_searcher s(needle.begin(), needle.end());
    return std::search(h.begin(), h.end(), s) != h.end();
  }
  char first = needle[0];
  char upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 'a' + 'A') : first;
  std::size_t last = hay.size() - needle.size();
  for (std::size_t i = 0; i <= last; ++i) {
    if (hay[i] != first && hay[i] != upper) continue;
    if (equal_folded(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool relate(const match_spec& m, std::string_view a, std::string_view b) {
  int c = compare(m.cmp, a, b);
  switch (m.rel) {
    case relation::gt:
      return c > 0;
    case relation::ge:
      return c >= 0;
    case relation::lt:
      return c < 0;
    case relation::le:
      return c <= 0;
    case relation::eq:
      return c == 0;
    case relation::ne:
      return c != 0;
  }
  return false;
}

bool match_one(const match_spec& m, std::string_view value, const key_ref& key,
               std::vector<std::string>* captures) {
  switch (m.type) {
    case match_type::is:
      if (m.cmp == comparator::casemap) return equal_folded(value, key.folded);
      // Pigeonhole (mcht-is.c) answers an empty value before asking the comparator: it is only
      // an empty key, so "" is not "fwd" under i;ascii-numeric although both are infinity.
      if (m.cmp == comparator::numeric)
        return value.empty() ? key.text.empty() : numeric_compare(value, key.text) == 0;
      return value == key.text;
    case match_type::contains:
      if (m.cmp == comparator::casemap) return contains_folded(value, key.folded);
      if (key.text.size() > 32) {
        std::boyer_moore_searcher s(key.text.begin(), key.text.end());
        return std::search(value.begin(), value.end(), s) != value.end();
      }
      return value.find(key.text) != std::string_view::npos;
    case match_type::matches:
    case match_type::regex:
      return key.re != nullptr && regex_match(m, value, *key.re, captures);
    case match_type::value:
      return relate(m, value, key.text);
    case match_type::count:
      return false;  // handled by the caller
  }
  return false;
}

bool match_shape(const match_spec& m, std::size_t key, std::string_view v) {
  std::string_view lit = m.literal[key];
  bool fold_it = m.cmp == comparator::casemap;
  auto same = [&](std::string_view part) {
    return fold_it ? equal_folded(part, lit) : part == lit;
  };
  switch (m.shapes[key]) {
    case glob_shape::any:
      return true;
    case glob_shape::exact:
      return same(v);
    case glob_shape::prefix:
      return v.size() >= lit.size() && same(v.substr(0, lit.size()));
    case glob_shape::suffix:
      return v.size() >= lit.size() && same(v.substr(v.size() - lit.size()));
    case glob_shape::infix:
      return fold_it ? contains_folded(v, lit) : v.find(lit) != std::string_view::npos;
    case glob_shape::regex:
      break;
  }
  return false;
}

int match_plain(const match_spec& m, std::string_view v) {
  for (std::size_t k = 0; k < m.folded.size(); ++k) {
    std::string_view key = m.folded[k];
    bool hit = false;
    if (m.type == match_type::is) {
      hit = v == key;
    } else if (m.type == match_type::contains) {
      hit = v.find(key) != std::string_view::npos;
    } else {
      std::string_view lit = m.literal[k];
      switch (m.shapes[k]) {
        case glob_shape::any:
          hit = true;
          break;
        case glob_shape::exact:
          hit = v == lit;
          break;
        case glob_shape::prefix:
          hit = v.substr(0, lit.size()) == lit;
          break;
        case glob_shape::suffix:
          hit = v.size() >= lit.size() && v.substr(v.size() - lit.size()) == lit;
          break;
        case glob_shape::infix:
          hit = v.find(lit) != std::string_view::npos;
          break;
        case glob_shape::regex:
          break;
      }
    }
    if (hit) return static_cast<int>(k);
  }
  return -1;
}

bool has_variable_reference(std::string_view s) { return s.find("${") != std::string_view::npos; }

std::string glob_to_regex(std::string_view glob, comparator c) {
  std::string out;
  out.reserve(glob.size() * 2);
  for (std::size_t i = 0; i < glob.size(); ++i) {
    char ch = glob[i];
    if (ch == '*') {
      out += "(.*?)";  // Pigeonhole: earlier stars match as little as possible
    } else if (ch == '?') {
      out += "(.)";  // one byte: the pattern is Latin-1
    } else {
      if (ch == '\\' && i + 1 < glob.size()) ch = glob[++i];
      char lower = fold(ch);
      if (c == comparator::casemap && lower >= 'a' && lower <= 'z') {
        out += '[';
        out += lower;
        out += static_cast<char>(lower - 'a' + 'A');
        out += ']';
      } else if (static_cast<unsigned char>(ch) >= 0x80) {
        // A byte of a UTF-8 character: as a hex escape, since in Latin-1 it is a character
        // of its own (QuoteMeta leaves bytes >= 0x80 as they are).
        constexpr const char* hex = "0123456789abcdef";
        auto b = static_cast<unsigned char>(ch);
        out += "\\x";
        out += hex[b >> 4];
        out += hex[b & 0xF];
      } else {
        out += RE2::QuoteMeta(std::string_view(&ch, 1));
      }
    }
  }
  return out;
}

RE2::Options regex_options(match_type t, comparator c) {
  RE2::Options o;
  o.set_log_errors(false);
  if (t == match_type::matches) {
    // Byte-wise, as Pigeonhole (mcht-matches.c): see glob_to_regex.
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_case_sensitive(true);
  } else {
    o.set_case_sensitive(c != comparator::casemap);
  }
  // POSIX extended regexes without REG_NEWLINE (Pigeonhole): '.' matches a line end too, so
  // "^(.*)$" matches a multi-line body part.
  o.set_dot_nl(t == match_type::matches || t == match_type::regex);
  o.set_longest_match(t == match_type::regex);  // POSIX leftmost-longest, as Pigeonhole
  o.set_max_mem(8 << 20);
  return o;
}

}  // namespace hd::rules
