#pragma once
// One MIME part as the Sieve `body` test reads it: the value mailparse::sieve_body_parts
// produces and rules consume. Plain data.

#include <optional>
#include <string>

namespace hd {

/// One MIME part as a Sieve `body` test reads it (RFC 5173), the way Dovecot Pigeonhole does:
/// every part with a body, in the order they appear, attached messages included. Filled by
/// mailparse::sieve_body_parts; read by rules (`body :content` and `body :text`).
struct body_part {
  /// Lower-case "type/subtype" of the part's Content-Type (the last one); "text/plain" without
  /// one; "" when it cannot be read. A multipart's preamble and epilogue are parts of the
  /// multipart's type.
  std::string content_type;
  /// Transfer-decoded and read as UTF-8 in the part's charset (what does not read: U+FFFD),
  /// line ends as written (quoted-printable: CRLF). A message/rfc822 part: the header lines of
  /// the attached message as written, each ending in CRLF (any bytes). A multipart: its
  /// preamble or epilogue.
  std::string content;
  /// text/html and application/xhtml+xml: `content` as text (Dovecot's html2text); nullopt
  /// for other parts, whose text is `content`.
  std::optional<std::string> text;
};

}  // namespace hd
