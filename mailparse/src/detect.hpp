#pragma once
// Charset detection (Mozilla's universal detector, uchardet) and an ISO-2022-JP decoder with
// the Microsoft/NEC extensions, for charset.cpp.

#include <iconv.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace hd::mailparse::detail {

/// BYTES through the open converter CD; an unmappable byte becomes U+FFFD (setting `lossy`)
/// and conversion goes on after it; a stateful encoding is flushed at the end (charset.cpp).
std::string iconv_convert(iconv_t cd, std::string_view bytes, bool& lossy);

/// Bytes of a text handed to the detector (the start of it); the rest is not looked at.
inline constexpr std::size_t k_detect_sample_bytes = 64 * 1024;

/// The charset uchardet finds for `bytes` as its canonical iconv name (canonical_charset), or
/// "" when it finds none or only ASCII.
std::string detect_charset(std::string_view bytes);

/// True for charsets in which one character takes several bytes (CJK, UTF-8, UTF-16): text
/// whose 8-bit bytes all form valid characters of one of these is unlikely to be anything else.
bool is_multibyte(std::string_view canonical);

/// True when `bytes` holds an ISO-2022 escape sequence (ESC $ or ESC ( followed by a letter).
bool has_iso2022_escape(std::string_view bytes);

/// ISO-2022-JP (RFC 1468) as mail clients send it, to UTF-8: JIS X 0208 with the NEC and IBM
/// extension rows (circled digits ①, Roman numerals ...; CP50221-like, decoded through
/// EUC-JP-MS), JIS X 0212, half-width katakana (ESC ( I), JIS-Roman as ASCII. A bad byte
/// becomes U+FFFD without resetting the shift state, so the rest of the line still reads.
/// `lossy` is set when a byte did not read. (Text with ISO-2022-JP-2's single shifts ESC . /
/// ESC N is left to iconv by charset.cpp.)
std::string iso2022jp_to_utf8(std::string_view bytes, bool& lossy);

}  // namespace hd::mailparse::detail
