#include "detect.hpp"

#include "hd/mailparse/charset.hpp"

#include <uchardet/uchardet.h>

#include <iconv.h>

#include <array>
#include <cerrno>
#include <memory>

namespace hd::mailparse::detail {
namespace {

struct uchardet_deleter {
  void operator()(uchardet* u) const { uchardet_delete(u); }
};

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

// EUC-JP-MS bytes to UTF-8; what does not convert becomes U+FFFD.
std::string euc_to_utf8(std::string_view euc, bool& lossy) {
  if (euc.empty()) return {};
  iconv_t cd = iconv_open("UTF-8", "EUC-JP-MS");
  if (cd == reinterpret_cast<iconv_t>(-1)) cd = iconv_open("UTF-8", "EUC-JP");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    lossy = true;
    return std::string(k_replacement);
  }
  std::string out = iconv_convert(cd, euc, lossy);
  iconv_close(cd);
  return out;
}

enum class jis_mode { ascii, jis0208, jis0212, katakana };

bool is_jis_byte(unsigned char c) { return c >= 0x21 && c <= 0x7E; }

}  // namespace

std::string detect_charset(std::string_view bytes) {
  std::unique_ptr<uchardet, uchardet_deleter> ud(uchardet_new());
  if (!ud) return {};
  std::string_view sample = bytes.substr(0, k_detect_sample_bytes);
  if (uchardet_handle_data(ud.get(), sample.data(), sample.size()) != 0) return {};
  uchardet_data_end(ud.get());
  const char* name = uchardet_get_charset(ud.get());
  if (name == nullptr || *name == '\0') return {};
  std::string_view n(name);
  if (n == "ASCII" || n == "ascii") return {};
  return canonical_charset(n);
}

bool is_multibyte(std::string_view cs) {
  for (std::string_view m : {"utf-8", "gb18030", "cp932", "euc-jp-ms", "cp949", "big5-hkscs",
                             "iso-2022-jp-2", "iso-2022-kr", "iso-2022-cn", "euc-tw", "hz-gb-2312",
                             "utf-16", "utf-16le", "utf-16be", "utf-32"}) {
    if (cs == m) return true;
  }
  return false;
}

bool has_iso2022_escape(std::string_view b) {
  for (std::size_t p = b.find('\x1b'); p != std::string_view::npos; p = b.find('\x1b', p + 1)) {
    std::string_view rest = b.substr(p + 1, 3);
    if (rest.size() >= 2 && rest[0] == '$' &&
        (rest[1] == 'B' || rest[1] == '@' || rest[1] == 'A' || rest[1] == '(' || rest[1] == ')'))
      return true;
    if (rest.size() >= 2 && rest[0] == '(' && (rest[1] == 'B' || rest[1] == 'J' || rest[1] == 'I'))
      return true;
  }
  return false;
}

std::string iso2022jp_to_utf8(std::string_view b, bool& lossy) {
  std::string out, euc;
  auto flush = [&] {
    out += euc_to_utf8(euc, lossy);
    euc.clear();
  };
  auto bad = [&] {
    flush();
    out += k_replacement;
    lossy = true;
  };
  jis_mode mode = jis_mode::ascii;
  for (std::size_t i = 0; i < b.size();) {
    auto c = static_cast<unsigned char>(b[i]);
    if (c == 0x1b) {
      std::string_view esc = b.substr(i + 1, 3);
      auto starts = [&](std::string_view e) { return esc.substr(0, e.size()) == e; };
      if (starts("(B") || starts("(J") || starts("(H")) {
        mode = jis_mode::ascii, i += 3;
      } else if (starts("$B") || starts("$@")) {
        mode = jis_mode::jis0208, i += 3;
      } else if (starts("(I")) {
        mode = jis_mode::katakana, i += 3;
      } else if (starts("$(D")) {
        mode = jis_mode::jis0212, i += 4;
      } else if (starts("$(B") || starts("$(Q") || starts("$(O")) {
        mode = jis_mode::jis0208, i += 4;  // JIS X 0213 plane 1 is a superset of 0208
      } else {
        bad(), ++i;  // an escape we do not know: the byte is lost, the state kept
      }
      continue;
    }
    if (c == '\n' || c == '\r') {  // a line end: written as is, the state kept
      flush();
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    switch (mode) {
      case jis_mode::ascii:
        if (c >= 0x80) {
          bad();
        } else {
          flush();
          out += static_cast<char>(c);
        }
        ++i;
        break;
      case jis_mode::katakana:
        if (c >= 0x21 && c <= 0x5F) {
          euc += '\x8e';
          euc += static_cast<char>(c | 0x80);
        } else if (c < 0x21) {
          flush();
          out += static_cast<char>(c);
        } else {
          bad();
        }
        ++i;
        break;
      case jis_mode::jis0208:
      case jis_mode::jis0212:
        if (c < 0x21) {  // space, tab: kept, the state too
          flush();
          out += static_cast<char>(c);
          ++i;
        } else if (is_jis_byte(c) && i + 1 < b.size() &&
                   is_jis_byte(static_cast<unsigned char>(b[i + 1]))) {
          if (mode == jis_mode::jis0212) euc += '\x8f';
          euc += static_cast<char>(c | 0x80);
          euc += static_cast<char>(b[i + 1] | 0x80);
          i += 2;
        } else {
          bad();  // one byte lost; the next one starts a character again
          ++i;
        }
        break;
    }
  }
  flush();
  return out;
}

}  // namespace hd::mailparse::detail
