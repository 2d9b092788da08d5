#pragma once
// Charset conversion to UTF-8 for the bytes mail clients actually send: broken charset names,
// ISO-8859-1 that is really windows-1252, undeclared 8-bit text and invalid bytes.

#include <string>
#include <string_view>
#include <vector>

namespace hd::mailparse {

/// The iconv name for a charset label as written in mail ("latin1", "ks_c_5601-1987",
/// "unicode-1-1-utf-7", "x-unknown" ...), lower-case; "" when the label says nothing usable
/// (empty, "none", "unknown-8bit", "x-user-defined" ...), which means: undeclared.
/// ISO-8859-1, US-ASCII and their aliases map to "windows-1252" (a superset that mailers
/// really use). Pure, no I/O.
std::string canonical_charset(std::string_view label);

/// `bytes` in charset `label` as valid UTF-8; never fails. Undeclared or unknown charsets are
/// read as UTF-8 when the bytes are valid UTF-8, else as windows-1252; text labelled UTF-8
/// that contains no valid multi-byte sequence but has 8-bit bytes is read as windows-1252;
/// bytes the charset cannot map become U+FFFD. Each repair adds one line to `defects` (when
/// not null) naming `what` (e.g. "subject").
std::string to_utf8(std::string_view bytes, std::string_view label,
                    std::vector<std::string>* defects = nullptr, std::string_view what = "text");

/// `bytes` in charset `label` as Dovecot reads them: no guessing; undeclared, unknown and
/// UTF-8 labels are read as UTF-8; what does not read becomes U+FFFD, one per run.
std::string to_utf8_strict(std::string_view bytes, std::string_view label);

/// hd::is_valid_utf8 with a fast path over ASCII runs (8 bytes at a time): bodies are mostly
/// ASCII.
bool valid_utf8(std::string_view s);

/// windows-1252 to UTF-8 (the five unassigned bytes map to the C1 code points, as WHATWG
/// does). Never fails.
std::string windows_1252_to_utf8(std::string_view bytes);

}  // namespace hd::mailparse
