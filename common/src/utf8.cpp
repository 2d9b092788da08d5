#include "hd/common/utf8.hpp"

namespace hd {
namespace {

// The sequence starting at s[i]: its length and whether it is well-formed (Unicode Table 3-7).
// For an ill-formed one, the length is that of its maximal subpart: the bytes that could still
// have begun a valid sequence, so each is replaced by one U+FFFD (Unicode 3.9, "U+FFFD
// Substitution of Maximal Subparts").
struct sequence {
  std::size_t length;
  bool ok;
};

sequence next_sequence(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = at(i);
  if (c < 0x80) return {1, true};
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return {1, false};
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return {k, false};
    unsigned char b = at(i + k);
    bool fits = k == 1 ? (b >= lo && b <= hi) : (b & 0xc0) == 0x80;
    if (!fits) return {k, false};
  }
  return {n, true};
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    sequence q = next_sequence(s, i);
    if (!q.ok) return false;
    i += q.length;
  }
  return true;
}

std::string repair_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    sequence q = next_sequence(s, i);
    if (q.ok) {
      out.append(s.substr(i, q.length));
    } else {
      out += "\xEF\xBF\xBD";
    }
    i += q.length;
  }
  return out;
}

std::string repair_utf8_runs(std::string_view s) {
  static constexpr std::string_view k_replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  bool replaced = false;  // the output ends in a U+FFFD
  for (std::size_t i = 0; i < s.size();) {
    sequence q = next_sequence(s, i);
    if (q.ok && s[i] != '\0') {
      std::string_view seq = s.substr(i, q.length);
      out.append(seq);
      replaced = seq == k_replacement;
    } else if (!replaced) {
      out += k_replacement;
      replaced = true;
    }
    i += q.length;
  }
  return out;
}

}  // namespace hd
