#pragma once
// The MIME tree of a message turned into readable text, HTML and attachments (internal).

#include "hd/common/message.hpp"
#include "hd/mailparse/parser.hpp"

#include <gmime/gmime.h>

namespace hd::mailparse {

/// Walks the MIME tree under `root` and fills text, html and attachments of `msg`,
/// honouring `lim` (depth, part count); repairs and limits go to msg.defects. `input` holds
/// the bytes GMime parsed (attached messages are stored as their original bytes from it).
void read_body(GMimeObject* root, const limits& lim, parsed_message& msg, std::string_view input);

/// A filename safe to show and store: directories, control characters, leading dots and
/// trailing dots/spaces removed, at most 255 bytes (whole UTF-8 characters). When nothing
/// is left: "part-INDEX.EXT", the extension chosen from `content_type`.
std::string safe_filename(std::string_view name, int index, std::string_view content_type);

/// Text with CRLF and lone CR turned into LF and NUL bytes removed.
std::string normalize_newlines(std::string_view s);

}  // namespace hd::mailparse
