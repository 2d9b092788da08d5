#pragma once
// URLs in HTML attributes, read the way a browser reads them (WHATWG URL: tabs and newlines
// removed anywhere, leading and trailing C0 controls and spaces trimmed), for the sanitiser.

#include <optional>
#include <string>
#include <string_view>

namespace hd::mailparse {

/// V as a browser would use it: without tab, LF and CR, trimmed of controls and spaces.
std::string clean_url(std::string_view v);
/// The lower-case scheme of a cleaned URL ("" for a relative one).
std::string url_scheme(std::string_view url);
/// %XX escapes decoded (a bad escape is kept as it is).
std::string percent_decode(std::string_view s);
/// True for data:image/(png|gif|jpeg|webp)[;,]... (case-insensitive).
bool safe_data_image(std::string_view url);
/// A link target that may stay: absolute http, https or mailto, cleaned; else nullopt.
std::optional<std::string> link_url(std::string_view href);

}  // namespace hd::mailparse
