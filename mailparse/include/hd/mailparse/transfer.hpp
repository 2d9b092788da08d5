#pragma once
// Content-Transfer-Encoding: what a header value really means, and lenient decoders.

#include <string>
#include <string_view>

namespace hd::mailparse {

enum class transfer_encoding { identity, base64, quoted_printable, uuencode };

/// Interprets a Content-Transfer-Encoding value as mailers write it: "base64", "Base64;",
/// "quoted-printable", "quoted", "x-uuencode", "uue" ...; everything else ("7bit", "7-bit",
/// "8bit", "binary", "plain", "utf-8", "") is identity. `known` is set false for a value that
/// is none of the standard ones (a defect worth recording).
transfer_encoding classify_transfer_encoding(std::string_view value, bool& known);

/// Quoted-printable, leniently: soft line breaks (also "=" followed by spaces), trailing
/// white space, "=" not followed by two hex digits kept as is. A hard line break decodes to
/// CRLF (RFC 2045 6.7), whatever the line ends of the encoded text: binary attachments keep
/// their bytes; text is normalised to LF later.
std::string decode_quoted_printable(std::string_view in);

/// uuencode: the lines between "begin MODE NAME" and "end" (all lines when there is no
/// "begin"). `name`, when not null, receives the NAME of the begin line.
std::string decode_uuencode(std::string_view in, std::string* name = nullptr);

/// Decodes `in` per `enc` (base64 tolerates padding in the middle: GMime upstream #150).
std::string decode_transfer(std::string_view in, transfer_encoding enc);

}  // namespace hd::mailparse
