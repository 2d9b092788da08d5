#pragma once
// Small helpers over GMime objects shared by the parser's units (internal header).

#include <gmime/gmime.h>

#include <optional>
#include <string>
#include <string_view>

namespace hd::mailparse {

/// The raw (folded, undecoded) value of the first header `name` of `obj`, or nullopt.
std::optional<std::string_view> raw_header(GMimeObject* obj, const char* name);

/// Every raw value of header `name` of `obj`, joined with ", " (address headers repeated by
/// broken mailers), or nullopt when there is none.
std::optional<std::string> joined_raw_headers(GMimeObject* obj, const char* name);

/// The undecoded bytes of a part's content. Zero-copy when the content lies in the memory
/// stream the message was parsed from; valid as long as that stream lives (`buffer` holds a
/// copy otherwise).
std::string_view raw_content(GMimePart* part, std::string& buffer);

}  // namespace hd::mailparse
