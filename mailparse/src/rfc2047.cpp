#include "hd/mailparse/rfc2047.hpp"

#include "hd/common/message.hpp"
#include "hd/common/utf8.hpp"
#include "hd/mailparse/charset.hpp"

#include <array>
#include <optional>

namespace hd::mailparse {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct encoded_word {
  std::string charset;  ///< as written, without an RFC 2231 language suffix
  std::string bytes;    ///< decoded payload, still in `charset`
  std::size_t end;      ///< offset just past "?="
};

std::string decode_q(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Parses "=?charset?X?text?=" starting at `pos`; nullopt when it is not an encoded word.
std::optional<encoded_word> parse_word(std::string_view s, std::size_t pos) {
  std::size_t q1 = s.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 == pos + 2 || q1 + 3 >= s.size()) return std::nullopt;
  char enc = s[q1 + 1];
  if (s[q1 + 2] != '?' || (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q'))
    return std::nullopt;
  std::string_view charset = s.substr(pos + 2, q1 - pos - 2);
  if (charset.find_first_of(" \t\"=") != std::string_view::npos) return std::nullopt;
  std::size_t text_start = q1 + 3;
  std::size_t close = s.find("?=", text_start);
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view text = s.substr(text_start, close - text_start);
  if (text.find("=?") != std::string_view::npos) return std::nullopt;
  encoded_word w;
  w.charset = std::string(charset.substr(0, charset.find('*')));
  w.bytes = (enc == 'B' || enc == 'b') ? decode_base64(text) : decode_q(text);
  w.end = close + 2;
  return w;
}

// Walks a header value and reports plain text runs and runs of adjacent encoded words, each
// run of words already converted to UTF-8 as a whole (so split characters are rejoined).
template <class Convert, class Text, class Words>
void scan(std::string_view s, Convert convert, Text on_text, Words on_words) {
  std::size_t i = 0, text_start = 0;
  while (i < s.size()) {
    std::size_t at = s.find("=?", i);
    if (at == std::string_view::npos) break;
    std::optional<encoded_word> w = parse_word(s, at);
    if (!w) {
      i = at + 1;
      continue;
    }
    on_text(s.substr(text_start, at - text_start));
    std::string utf8, pending, pending_cs = w->charset;
    auto flush = [&] {
      utf8 += convert(pending, pending_cs);
      pending.clear();
    };
    std::size_t end = w->end;
    for (;;) {
      if (!iequals(w->charset, pending_cs)) {
        flush();
        pending_cs = w->charset;
      }
      pending += w->bytes;
      end = w->end;
      std::size_t next = end;
      while (next < s.size() && is_wsp(s[next])) ++next;
      if (s.substr(next, 2) != "=?") break;
      std::optional<encoded_word> nw = parse_word(s, next);
      if (!nw) break;
      w = std::move(nw);
    }
    flush();
    on_words(utf8);
    i = text_start = end;
  }
  on_text(s.substr(text_start));
}

auto guessing(std::vector<std::string>* defects) {
  return [defects](std::string_view bytes, std::string_view charset) {
    return to_utf8(bytes, charset, defects, "encoded word");
  };
}

std::string plain_text(std::string_view bytes, std::vector<std::string>* defects,
                       std::string_view fallback) {
  if (!fallback.empty() && !is_valid_utf8(bytes))
    return to_utf8(bytes, fallback, defects, "header");
  return to_utf8(bytes, "", defects, "header");
}

}  // namespace

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == '\r' || c == '\n') continue;
    out += c;
  }
  std::size_t b = 0, e = out.size();
  while (b < e && is_wsp(out[b])) ++b;
  while (e > b && is_wsp(out[e - 1])) --e;
  return out.substr(b, e - b);
}

std::string decode_unstructured(std::string_view raw, std::vector<std::string>* defects,
                                std::string_view fallback) {
  std::string s = unfold(raw);
  if (s.find("=?") == std::string::npos) return plain_text(s, defects, fallback);
  std::string out;
  scan(
      s, guessing(defects), [&](std::string_view t) { out += plain_text(t, defects, fallback); },
      [&](const std::string& u) { out += u; });
  return out;
}

std::string decode_strict(std::string_view raw) {
  std::string s = unfold(raw);
  if (s.find("=?") == std::string::npos) return repair_utf8_runs(s);
  std::string out;
  scan(
      s, to_utf8_strict, [&](std::string_view t) { out += repair_utf8_runs(t); },
      [&](const std::string& u) { out += u; });
  return out;
}

std::string normalize_structured(std::string_view raw, std::vector<std::string>* defects,
                                 std::string_view fallback) {
  std::string s = unfold(raw);
  if (s.find("=?") == std::string::npos) return plain_text(s, defects, fallback);
  std::string out;
  scan(
      s, guessing(defects), [&](std::string_view t) { out += plain_text(t, defects, fallback); },
      [&](const std::string& u) { out += "=?UTF-8?B?" + encode_base64(u) + "?="; });
  return out;
}

namespace {

// Each byte's six bits, or -1 outside the alphabet (base64url's '-' and '_' accepted: they
// are seen in the wild).
constexpr std::array<signed char, 256> k_base64 = [] {
  std::array<signed char, 256> t{};
  t.fill(-1);
  constexpr std::string_view a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < a.size(); ++i)
    t[static_cast<unsigned char>(a[i])] = static_cast<signed char>(i);
  t[static_cast<unsigned char>('-')] = 62;
  t[static_cast<unsigned char>('_')] = 63;
  return t;
}();

// The fast path's tables: each byte's six bits already in place for its position in the
// quantum; bit 31 marks a byte outside the alphabet.
using shifted_table = std::array<std::uint32_t, 256>;
constexpr std::array<shifted_table, 4> k_base64_at = [] {
  std::array<shifted_table, 4> t{};
  for (std::size_t pos = 0; pos < 4; ++pos) {
    for (std::size_t ch = 0; ch < 256; ++ch) {
      signed char v = k_base64[ch];
      t[pos][ch] = v < 0 ? 0x80000000u : static_cast<std::uint32_t>(v) << (18 - 6 * pos);
    }
  }
  return t;
}();

}  // namespace

std::string decode_base64(std::string_view in) {
  const auto& table = k_base64;
  const auto& at = k_base64_at;
  std::string out(in.size() / 4 * 3 + 3, '\0');
  std::size_t o = 0;
  std::uint32_t acc = 0;
  int n = 0;
  auto flush_partial = [&] {  // a quantum cut short by padding or the end
    if (n == 2) out[o++] = static_cast<char>(acc >> 4);
    if (n == 3) {
      out[o++] = static_cast<char>(acc >> 10);
      out[o++] = static_cast<char>((acc >> 2) & 0xFF);
    }
    acc = 0;
    n = 0;
  };
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t size = in.size();
  char* dst = out.data();
  std::size_t i = 0;
  while (i < size) {
    // Fast path: four alphabet characters at a quantum boundary, as in every body line.
    while (n == 0 && i + 4 <= size) {
      std::uint32_t q = at[0][p[i]] | at[1][p[i + 1]] | at[2][p[i + 2]] | at[3][p[i + 3]];
      if (q & 0x80000000u) break;
      dst[o] = static_cast<char>(q >> 16);
      dst[o + 1] = static_cast<char>(q >> 8);
      dst[o + 2] = static_cast<char>(q);
      o += 3;
      i += 4;
    }
    if (i >= size) break;
    unsigned char c = p[i++];
    signed char v = table[c];
    if (v < 0) {
      if (c == '=') flush_partial();  // padding ends a quantum; more data may follow
      continue;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      out[o++] = static_cast<char>((acc >> 16) & 0xFF);
      out[o++] = static_cast<char>((acc >> 8) & 0xFF);
      out[o++] = static_cast<char>(acc & 0xFF);
      acc = 0;
      n = 0;
    }
  }
  flush_partial();
  out.resize(o);
  return out;
}

std::string encode_base64(std::string_view in) {
  constexpr std::string_view a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                      (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace hd::mailparse
