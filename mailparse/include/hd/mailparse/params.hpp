#pragma once
// MIME header parameters (Content-Type, Content-Disposition) as real mail writes them:
// quoted values containing ';', unquoted values with spaces, RFC 2231 continuations and
// charsets (name*0*=, name*=utf-8''...), RFC 2047 words inside quoted values, raw 8-bit.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::mailparse {

/// One parameter: lower-case name (without RFC 2231 suffixes), value decoded to UTF-8.
struct param {
  std::string name;
  std::string value;
};

/// A parsed Content-Type or Content-Disposition value: the leading token lower-cased
/// ("text/plain", "attachment") and its parameters in order (each name once).
struct header_params {
  std::string token;
  std::vector<param> params;
  /// The value of parameter `name` (lower-case), or nullopt.
  std::optional<std::string> get(std::string_view name) const;
};

/// Parses a raw (possibly folded) header value. Never fails; repairs go to `defects`.
header_params parse_params(std::string_view raw, std::vector<std::string>* defects = nullptr);

}  // namespace hd::mailparse
