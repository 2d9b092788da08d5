#pragma once
// The MIME parts a Sieve `body` test reads (RFC 5173), split the way Dovecot Pigeonhole splits
// them, so `body :content` and `body :text` agree with Pigeonhole's sieve-test. Pure: bytes in,
// values out; no I/O.

#include "hd/common/body_part.hpp"
#include "hd/mailparse/parser.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hd::mailparse {

/// Every MIME part of RAW that has a body, in the order they appear (Dovecot's message parser):
/// a multipart's preamble (a part of the multipart's type), each child, then its epilogue when
/// there are bytes after the closing boundary; a message/rfc822 part (its content is the
/// attached message's header lines), then the attached message's own parts. A boundary line is
/// found by its prefix (the longest boundary that matches, innermost first); a part whose
/// headers run into a boundary or the end has no body and is left out. Limits (Dovecot's
/// defaults, the same as parse()): past lim.max_parts parts no more boundaries are recognised;
/// multiparts and attached messages lim.max_mime_depth deep are read as single parts; only the
/// first lim.max_message_bytes of RAW are read. Content is at most three times those bytes
/// (every invalid byte can become U+FFFD); HTML text is never longer than its content.
/// Contents: see hd::body_part. Never fails.
std::vector<body_part> sieve_body_parts(std::string_view raw, const limits& lim = {});

/// HTML to text as Dovecot's mail_html2text does it (what Pigeonhole's `body :text` sees):
/// tags become one space, <blockquote> quoted lines start with "\n>", comments, <script>,
/// <style> dropped, CDATA kept, the entities of Dovecot's table and &#N; / &#xN; decoded, an
/// unknown or broken entity dropped; a tag or entity cut off by the end is dropped. Line
/// ends and other white space stay as written. Linear time.
std::string dovecot_html_to_text(std::string_view html);

}  // namespace hd::mailparse
