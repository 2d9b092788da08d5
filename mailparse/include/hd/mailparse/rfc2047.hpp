#pragma once
// RFC 2047 encoded words ("=?charset?B?...?=") in header values, decoded with the repairs real
// mail needs: adjacent words joined, multi-byte characters split across words, padded base64
// words back to back (GMime 3.2.13 truncates those: upstream issue #133), raw 8-bit text.

#include <string>
#include <string_view>
#include <vector>

namespace hd::mailparse {

/// Removes header folding: CRLF/LF followed by white space becomes that white space, stray
/// CR and LF are dropped, leading and trailing white space is trimmed.
std::string unfold(std::string_view raw);

/// An unstructured header value (Subject, a filename, any header shown to a person) as UTF-8:
/// unfolded, encoded words decoded wherever they appear, the white space between two encoded
/// words dropped, the bytes of consecutive words of one charset converted together, raw 8-bit
/// text read as UTF-8, else in `fallback_charset` (e.g. the body's charset), else
/// windows-1252. Never fails; repairs are added to `defects`.
std::string decode_unstructured(std::string_view raw, std::vector<std::string>* defects = nullptr,
                                std::string_view fallback_charset = "");

/// A header value as Dovecot decodes it, which is what Sieve scripts are tested against:
/// encoded words read in their declared charset, unknown charsets and raw 8-bit text read as
/// UTF-8, and each run of bytes that does not read (and NUL) one U+FFFD. No guessing, no
/// defects. Used for rules only; people see decode_unstructured's repairs.
std::string decode_strict(std::string_view raw);

/// A structured header value (address lists) made safe for GMime's parser: unfolded, raw
/// 8-bit text converted to UTF-8, and every run of adjacent encoded words replaced by one
/// equivalent UTF-8 base64 word, so quoting and specials are kept as written.
std::string normalize_structured(std::string_view raw, std::vector<std::string>* defects = nullptr,
                                 std::string_view fallback_charset = "");

/// Lenient base64: skips characters outside the alphabet and padding anywhere (also in the
/// middle, where GMime 3.2.13 stops: upstream #150), decodes what is there.
std::string decode_base64(std::string_view in);

/// Standard base64 with padding, no line breaks.
std::string encode_base64(std::string_view in);

}  // namespace hd::mailparse
