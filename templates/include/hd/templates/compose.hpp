#pragma once
// Composing an outgoing RFC 5322 message from a rendered template. Pure: the date, the unique
// part of the Message-ID and every setting come in as arguments. Whatever a customer wrote
// (names, subjects, message ids) can never start a header line or add a recipient: header
// values are made one line and RFC 2047-encoded when not plain ASCII, and addresses that are
// not a plain addr-spec are refused.

#include "hd/common/error.hpp"
#include "hd/common/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::templates {

enum class compose_errc {
  bad_address,  ///< an address is not a plain ASCII addr-spec (or contains control characters)
  bad_input,    ///< a required field is empty
};

/// A file sent with a mail (an agent's upload, or a stored attachment forwarded).
struct attachment_part {
  std::string filename;      ///< UTF-8; written with RFC 2231, made safe (no paths, no controls)
  std::string content_type;  ///< "type/subtype"; anything else is sent as application/octet-stream
  std::string bytes;
};

struct mail_parts {
  address from;
  address to;
  std::vector<std::string> cc;                  ///< Cc addr-specs (each must be safe)
  std::string subject;                          ///< one line, UTF-8 (made one line again anyway)
  std::string text;                             ///< UTF-8, any line ends
  std::optional<std::string> html;              ///< UTF-8; makes the message multipart/alternative
  std::string message_id;                       ///< ours, without brackets (see make_message_id)
  std::optional<std::string> in_reply_to;       ///< the customer's Message-ID, without brackets
  std::vector<std::string> references;          ///< the customer's References, oldest first
  std::int64_t date = 0;                        ///< seconds since the epoch; written in UTC
  std::string x_loop;                           ///< X-Loop value (our address); omitted when empty
  std::string auto_submitted = "auto-replied";  ///< RFC 3834; omitted when empty
  std::string language;                         ///< Content-Language; omitted when empty
  std::vector<attachment_part> attachments;     ///< makes the message multipart/mixed (base64)
};

struct composed_mail {
  std::string bytes;  ///< the complete message, CRLF line ends, 7-bit clean
  std::string message_id;
};

/// Builds the message. Errors: bad_address for a From/To that is not a plain addr-spec (the
/// caller must then not send at all), bad_input for an empty message id.
result<composed_mail, compose_errc> compose(const mail_parts& p);

/// T as "type/subtype" of MIME tokens, lower-cased, when it is one (no parameters, spaces or
/// line breaks), else "application/octet-stream": a type from a mail or a client that may go
/// into a header.
std::string safe_content_type(std::string_view t);

/// True for a plain ASCII addr-spec local@domain without spaces, quotes, brackets or control
/// characters, and without "=?" (which readers may decode as an encoded word): what may
/// safely go into an SMTP envelope and a header.
bool is_safe_addr_spec(std::string_view addr);

/// True for a msg-id (without brackets) that may be written into In-Reply-To/References.
bool is_safe_msg_id(std::string_view id);

/// "<unique>@<domain>" without brackets; characters not allowed in a msg-id are dropped.
std::string make_message_id(std::string_view unique, std::string_view domain);

/// Puts the request tag "[<prefix><id>]" in front of SUBJECT unless it is already there.
std::string tag_subject(std::string_view subject, std::string_view tag_prefix, std::int64_t id);

/// RFC 5322 date in UTC, e.g. "Sun, 22 Nov 2026 16:50:44 +0000".
std::string rfc5322_date(std::int64_t epoch_seconds);

/// The second layer of header-injection defence: true when TEXT must be written as encoded
/// words — any byte that is not printable ASCII (control characters, CR and LF included),
/// "=?" anywhere, or a word over 900 characters. The first layer (control characters made
/// spaces) runs before it, so this layer alone must still hold if the first one is lost.
bool needs_encoded_word(std::string_view text);

/// An unstructured header value for NAME ("Subject"): one line, folded at 78 columns,
/// RFC 2047 base64 encoded words (UTF-8) when the text is not plain printable ASCII or
/// contains something that looks like an encoded word. Without the trailing CRLF.
std::string encode_unstructured(std::string_view header_name, std::string_view value);

/// A mailbox for From/To: `"Name" <addr>` or `=?utf-8?b?...?= <addr>` or `addr`.
/// The address must satisfy is_safe_addr_spec.
std::string encode_mailbox(const address& a);

/// Quoted-printable (RFC 2045) with CRLF line ends; input line ends may be LF or CRLF.
/// Leading dots and "From " are encoded too, so no transport can alter them.
std::string quoted_printable(std::string_view text);

}  // namespace hd::templates
