#pragma once
// UTF-8 validation and repair. Every string helpdeskd stores or prints is valid UTF-8.

#include <string>
#include <string_view>

namespace hd {

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

/// `s` with every ill-formed sequence replaced by U+FFFD (one per maximal subpart, as the
/// Unicode standard recommends). Valid input is returned unchanged.
std::string repair_utf8(std::string_view s);

/// `s` with every run of ill-formed bytes and NUL replaced by a single U+FFFD, and no U+FFFD
/// right after another: what Dovecot (and so a Sieve script under Pigeonhole) sees.
std::string repair_utf8_runs(std::string_view s);

}  // namespace hd
