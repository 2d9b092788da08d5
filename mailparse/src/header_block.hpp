#pragma once
// Repairs of the top-level header block before GMime sees it: damaged lines, per-header and
// per-block limits that keep the identity headers.

#include "hd/mailparse/parser.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::mailparse {

/// Repairs the header block `head` (the bytes before the blank line; `terminated`: a blank line
/// follows it): "Name  : value" becomes "Name: value"; a junk first line ("---- Original
/// message ----") is dropped; a line without a colon between headers becomes a continuation of
/// the header before it (or is dropped after a one-token header such as Date); a run of such
/// lines with no known header after it starts the body (the blank line is missing). Each field
/// is cut to lim.max_header_field_bytes; fields past lim.max_header_fields or past
/// lim.max_header_bytes are dropped except the first of each identity header (From, Subject,
/// Message-ID ...). Returns the repaired block, ending with the separator when one was
/// inserted, or nullopt when nothing needed repair (or `head` holds no header at all).
std::optional<std::string> repair_header_block(std::string_view head, bool terminated,
                                               const limits& lim,
                                               std::vector<std::string>& defects);

/// Repairs the Content-Type and Content-Disposition fields anywhere in `in` (top-level and
/// part headers alike) before GMime reads them: inserts the ';' missing before the first
/// parameter ("multipart/mixed" then " boundary=x" on a folded line: GMime finds no boundary
/// otherwise), and cuts a field past lim.max_params parameters or lim.max_header_field_bytes
/// (GMime's own parameter parsing is quadratic: 40,000 parameters took seconds). nullopt when
/// nothing needed repair. Linear in `in`.
std::optional<std::string> repair_mime_fields(std::string_view in, const limits& lim,
                                              std::vector<std::string>& defects);

}  // namespace hd::mailparse
