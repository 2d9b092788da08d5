#pragma once
// MIME header parameters (Content-Type, Content-Disposition) as real mail writes them:
// quoted values containing ';', unquoted values with spaces, RFC 2231 continuations and
// charsets (name*0*=, name*=utf-8''...), RFC 2047 words inside quoted values, raw 8-bit.

#include <functional>
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

/// Limits of parse_params (the parser passes limits::max_params and limits::over_budget).
struct param_limits {
  /// Parameters read per header value (distinct names and RFC 2231 sections alike); the rest
  /// are dropped with a defect. Real mail has a handful.
  int max_params = 1000;
  /// Asked every 256 parameters; once true, the rest of the value is dropped with a defect.
  std::function<bool()> over_budget{};
};

/// Parses a raw (possibly folded) header value. Never fails; repairs go to `defects`. Time is
/// linear in the value. A parameter written without the ';' before it
/// ("multipart/mixed boundary=x", "a=\"1\" b=2") is still read, with a defect.
header_params parse_params(std::string_view raw, std::vector<std::string>* defects = nullptr,
                           const param_limits& lim = {});

}  // namespace hd::mailparse
