#include "hd/mailparse/charset.hpp"

#include "detect.hpp"

#include "hd/common/message.hpp"
#include "hd/common/utf8.hpp"

#include <fmt/format.h>
#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

namespace hd::mailparse {
namespace {

// Labels seen in real mail that iconv does not know or that name the wrong table.
struct alias {
  std::string_view label, name;
};
constexpr std::array<alias, 62> k_aliases{{
    {"latin1", "windows-1252"},
    {"latin-1", "windows-1252"},
    {"l1", "windows-1252"},
    {"iso-8859-1", "windows-1252"},
    {"iso8859-1", "windows-1252"},
    {"iso_8859-1", "windows-1252"},
    {"iso8859_1", "windows-1252"},
    {"iso_8859-1:1987", "windows-1252"},
    {"iso-ir-100", "windows-1252"},
    {"us-ascii", "windows-1252"},
    {"ascii", "windows-1252"},
    {"ansi_x3.4-1968", "windows-1252"},
    {"us", "windows-1252"},
    {"cp1252", "windows-1252"},
    {"windows-1252", "windows-1252"},
    {"cp819", "windows-1252"},
    {"utf8", "utf-8"},
    {"utf-8", "utf-8"},
    {"unicode-1-1-utf-8", "utf-8"},
    {"unicode-2-0-utf-8", "utf-8"},
    {"utf-7", "utf-7"},
    {"unicode-1-1-utf-7", "utf-7"},
    {"unicode-2-0-utf-7", "utf-7"},
    {"csunicode11utf7", "utf-7"},
    {"gb2312", "gb18030"},
    {"iso-gb2312", "gb18030"},
    {"gb_2312-80", "gb18030"},
    {"csgb2312", "gb18030"},
    {"chinese", "gb18030"},
    {"gbk", "gb18030"},
    {"cp936", "gb18030"},
    {"euc-cn", "gb18030"},
    {"ks_c_5601-1987", "cp949"},
    {"ks_c_5601", "cp949"},
    {"ks_c_5601-1989", "cp949"},
    {"ksc5601", "cp949"},
    {"ksc_5601", "cp949"},
    {"euc-kr", "cp949"},
    {"korean", "cp949"},
    {"iso-ir-149", "cp949"},
    {"windows-949", "cp949"},
    {"uhc", "cp949"},
    {"shift_jis", "cp932"},
    {"shift-jis", "cp932"},
    {"sjis", "cp932"},
    {"ms_kanji", "cp932"},
    {"csshiftjis", "cp932"},
    {"windows-31j", "cp932"},
    {"iso-2022-jp", "iso-2022-jp-2"},
    {"csiso2022jp", "iso-2022-jp-2"},
    {"euc-jp", "euc-jp-ms"},
    {"big5", "big5-hkscs"},
    {"big-5", "big5-hkscs"},
    {"cn-big5", "big5-hkscs"},
    {"tis-620", "cp874"},
    {"iso-8859-11", "cp874"},
    {"windows-874", "cp874"},
    {"iso-8859-8-i", "iso-8859-8"},
    {"iso-8859-8-e", "iso-8859-8"},
    {"iso-8859-6-i", "iso-8859-6"},
    {"iso-8859-6-e", "iso-8859-6"},
    {"utf-16", "utf-16"},
}};

// Labels that declare nothing: the bytes are undeclared 8-bit text.
constexpr std::array<std::string_view, 12> k_undeclared{
    "",        "none",           "unknown",       "x-unknown", "unknown-8bit", "x-unknown-8bit",
    "default", "x-user-defined", "us-ascii-8bit", "8bit",      "7bit",         "charset"};

std::string clean_label(std::string_view label) {
  std::string s = ascii_lower(label);
  auto junk = [](char c) { return c == ' ' || c == '"' || c == '\'' || c == ';' || c == '\t'; };
  while (!s.empty() && junk(s.front())) s.erase(0, 1);
  while (!s.empty() && junk(s.back())) s.pop_back();
  return s;
}

// "iso8859_2", "iso_8859-2", "iso-8859-2" -> "iso-8859-2"; "cp1251", "win-1251" ->
// "windows-1251"; an "x-" prefix is dropped when the rest is known.
std::string normalize_family(std::string s) {
  if (s.rfind("x-", 0) == 0) s.erase(0, 2);
  for (std::string_view p : {"iso8859-", "iso_8859-", "iso8859_", "iso-8859_", "iso8859"}) {
    if (s.rfind(p, 0) == 0) return "iso-8859-" + s.substr(p.size());
  }
  for (std::string_view p : {"cp-", "cp", "win-", "win", "windows", "ms-"}) {
    std::string rest = s.substr(std::min(s.size(), p.size()));
    if (s.rfind(p, 0) == 0 && rest.size() == 4 && rest.rfind("125", 0) == 0)
      return "windows-" + rest;
  }
  return s;
}

class iconv_handle {
 public:
  explicit iconv_handle(const std::string& from) : h_(iconv_open("UTF-8", from.c_str())) {}
  iconv_handle(const iconv_handle&) = delete;
  iconv_handle& operator=(const iconv_handle&) = delete;
  ~iconv_handle() {
    if (ok()) iconv_close(h_);
  }
  bool ok() const { return h_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return h_; }

 private:
  iconv_t h_;
};

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

// As Dovecot's header decoding (and so Pigeonhole): a run of bytes invalid in the charset is
// one U+FFFD, and a stateful charset (ISO-2022-JP) keeps its shift state across the run.
// Used only by to_utf8_strict (issue 23).
std::string iconv_convert_runs(iconv_t cd, std::string_view bytes) {
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size(), used = 0;
  bool in_run = false;
  while (in_left > 0) {
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    std::size_t before = in_left;
    std::size_t r = iconv(cd, &in, &in_left, &dst, &dst_left);
    used = out.size() - dst_left;
    if (in_left != before) in_run = false;
    if (r != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    if (!in_run) {
      if (out.size() - used < 8) out.resize(out.size() * 2);
      out.replace(used, k_replacement.size(), k_replacement);
      used += k_replacement.size();
      in_run = true;
    }
    if (errno == EINVAL) break;  // truncated sequence at the end
    ++in;
    --in_left;
  }
  char* dst = out.data() + used;
  std::size_t dst_left = out.size() - used;
  iconv(cd, nullptr, nullptr, &dst, &dst_left);  // flush a stateful encoding
  out.resize(out.size() - dst_left);
  return out;
}

// Offset of the first byte >= 0x80, or s.size(); eight bytes at a time.
std::size_t ascii_prefix(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    if ((v & 0x8080808080808080ULL) != 0) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

// True when some byte sequence of `s` is a valid UTF-8 multi-byte character: text labelled
// UTF-8 with not one of them is really a single-byte charset.
bool has_utf8_sequence(std::string_view s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0xC2 || c > 0xF4) continue;
    std::size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n <= s.size() && is_valid_utf8(s.substr(i, n))) return true;
  }
  return false;
}

void note(std::vector<std::string>* defects, std::string text) {
  if (defects != nullptr) defects->push_back(std::move(text));
}

}  // namespace

namespace detail {

std::string iconv_convert(iconv_t cd, std::string_view bytes, bool& lossy) {
  std::string out;
  out.resize(bytes.size() * 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  std::size_t used = 0;
  while (in_left > 0) {
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    std::size_t r = iconv(cd, &in, &in_left, &dst, &dst_left);
    used = out.size() - dst_left;
    if (r != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    lossy = true;
    if (out.size() - used < 8) out.resize(out.size() * 2);
    out.replace(used, k_replacement.size(), k_replacement);
    used += k_replacement.size();
    if (errno == EINVAL) break;  // truncated sequence at the end
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  char* dst = out.data() + used;
  std::size_t dst_left = out.size() - used;
  iconv(cd, nullptr, nullptr, &dst, &dst_left);  // flush a stateful encoding
  out.resize(out.size() - dst_left);
  return out;
}

}  // namespace detail

bool valid_utf8(std::string_view s) {
  // Mail text is mostly ASCII with a few letters like "å": skip ASCII eight bytes at a time
  // and check each multi-byte sequence in place (Unicode Table 3-7), instead of going byte by
  // byte through the rest of the text after the first 8-bit byte.
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = ascii_prefix(s);
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      i += ascii_prefix(s.substr(i));
      continue;
    }
    std::size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
    if (len == 0 || i + len > n) return false;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::string canonical_charset(std::string_view label) {
  std::string s = clean_label(label);
  for (std::string_view u : k_undeclared) {
    if (s == u) return {};
  }
  for (const alias& a : k_aliases) {
    if (s == a.label) return std::string(a.name);
  }
  std::string n = normalize_family(s);
  if (n == "iso-8859-1") return "windows-1252";
  for (const alias& a : k_aliases) {
    if (n == a.label) return std::string(a.name);
  }
  return n;
}

std::string windows_1252_to_utf8(std::string_view bytes) {
  static constexpr std::array<char16_t, 32> high{
      0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (unsigned char c : bytes) {
    char32_t cp = c >= 0x80 && c < 0xA0 ? high[c - 0x80] : c;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

namespace {

// A run of this many 8-bit bytes in a row: CJK text, not Latin letters between ASCII.
bool has_8bit_run(std::string_view s, std::size_t run) {
  std::size_t n = 0;
  for (char c : s) {
    n = static_cast<unsigned char>(c) >= 0x80 ? n + 1 : 0;
    if (n >= run) return true;
  }
  return false;
}

// `bytes` in canonical charset `cs` (not UTF-8, not windows-1252); `lossy` when a byte did not
// read. Unknown charsets: nullopt.
std::optional<std::string> convert(std::string_view bytes, const std::string& cs, bool& lossy) {
  if (cs == "iso-2022-jp-2" && bytes.find("\x1b.") == std::string_view::npos &&
      bytes.find("\x1bN") == std::string_view::npos)
    return detail::iso2022jp_to_utf8(bytes, lossy);
  iconv_handle cd(cs);
  if (!cd.ok()) return std::nullopt;
  return detail::iconv_convert(cd.get(), bytes, lossy);
}

// What the detector reads `bytes` as, when that reads without loss: the text as UTF-8 and the
// charset's name in `found`. `multibyte_only`: accept only multi-byte charsets (a label of a
// single-byte charset is overruled only by evidence that strong).
std::optional<std::string> detected(std::string_view bytes, bool multibyte_only,
                                    std::string& found) {
  if (multibyte_only && !has_8bit_run(bytes, 4) && !detail::has_iso2022_escape(bytes))
    return std::nullopt;
  std::string cs = detail::detect_charset(bytes);
  if (cs.empty() || (multibyte_only && !detail::is_multibyte(cs))) return std::nullopt;
  found = cs;
  if (cs == "utf-8") {
    if (valid_utf8(bytes)) return std::string(bytes);
    return std::nullopt;
  }
  if (cs == "windows-1252") return windows_1252_to_utf8(bytes);
  bool lossy = false;
  std::optional<std::string> out = convert(bytes, cs, lossy);
  if (!out || lossy || !is_valid_utf8(*out)) return std::nullopt;
  return out;
}

}  // namespace

std::string to_utf8(std::string_view bytes, std::string_view label,
                    std::vector<std::string>* defects, std::string_view what) {
  std::string cs = canonical_charset(label);
  bool ascii = ascii_prefix(bytes) == bytes.size();
  std::string found;
  // 7-bit text with ISO-2022 escapes under any 7-bit-compatible label (or none) is ISO-2022.
  if (ascii && cs != "iso-2022-jp-2" && cs != "utf-7" && detail::has_iso2022_escape(bytes)) {
    if (auto d = detected(bytes, true, found)) {
      note(defects, fmt::format("{}: ISO-2022 text labelled '{}' read as {}", what,
                                cs.empty() ? "nothing" : cs, found));
      return *d;
    }
  }
  if (cs.empty() || cs == "windows-1252") {
    if (ascii || valid_utf8(bytes)) return std::string(bytes);
    if (auto d = detected(bytes, !cs.empty(), found)) {
      note(defects,
           cs.empty() ? fmt::format("{}: undeclared 8-bit text read as {} (detected)", what, found)
                      : fmt::format("{}: labelled '{}' but the bytes are {}; read as {}", what,
                                    clean_label(label), found, found));
      return *d;
    }
    if (cs.empty())
      note(defects, fmt::format("{}: undeclared 8-bit text read as windows-1252", what));
    return windows_1252_to_utf8(bytes);
  }
  if (cs == "utf-8") {
    if (valid_utf8(bytes)) return std::string(bytes);
    if (auto d = detected(bytes, true, found); d && found != "utf-8") {
      note(defects,
           fmt::format("{}: labelled UTF-8 but the bytes are {}; read as {}", what, found, found));
      return *d;
    }
    if (!has_utf8_sequence(bytes)) {
      note(defects, fmt::format("{}: labelled UTF-8 but is not; read as windows-1252", what));
      return windows_1252_to_utf8(bytes);
    }
    note(defects, fmt::format("{}: invalid UTF-8 bytes replaced with U+FFFD", what));
    return repair_utf8(bytes);
  }
  bool lossy = false;
  std::optional<std::string> out = convert(bytes, cs, lossy);
  if (!out) {
    note(defects, fmt::format("{}: unknown charset '{}'; read as UTF-8 or windows-1252", what,
                              clean_label(label)));
    if (valid_utf8(bytes)) return std::string(bytes);
    if (auto d = detected(bytes, false, found)) return *d;
    return windows_1252_to_utf8(bytes);
  }
  // The declared label wins when the bytes fit it: a multi-byte label without loss; a
  // single-byte label unless the bytes are valid text of a multi-byte charset the detector
  // names (a GB2312 body labelled ISO-8859-x). Only a multi-byte charset with a run of 8-bit
  // bytes overrules a label: a stray bad byte stays U+FFFD.
  bool single_byte = !detail::is_multibyte(cs);
  if (lossy || (single_byte && !ascii)) {
    if (auto d = detected(bytes, true, found); d && found != cs) {
      note(defects, fmt::format("{}: labelled '{}' but the bytes are {}; read as {}", what, cs,
                                found, found));
      return *d;
    }
  }
  if (lossy)
    note(defects, fmt::format("{}: bytes invalid in charset '{}' replaced with U+FFFD", what, cs));
  if (!is_valid_utf8(*out)) *out = repair_utf8(*out);
  return std::move(*out);
}

std::string to_utf8_strict(std::string_view bytes, std::string_view label) {
  std::string cs = canonical_charset(label);
  if (cs.empty() || cs == "utf-8") return repair_utf8_runs(bytes);
  if (cs == "windows-1252") return windows_1252_to_utf8(bytes);
  iconv_handle cd(cs);
  if (!cd.ok()) return repair_utf8_runs(bytes);
  return repair_utf8_runs(iconv_convert_runs(cd.get(), bytes));
}

}  // namespace hd::mailparse
