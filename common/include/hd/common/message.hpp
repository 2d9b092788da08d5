#pragma once
// The parsed form of one inbound mail: the value mailparse produces and rules, templates and
// storage consume. Plain data, no behaviour; every string is valid UTF-8.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hd {

/// One mailbox of an address header: display name (decoded, may be empty) and addr-spec.
struct address {
  std::string name;
  std::string addr;  ///< as written, e.g. "Asa.Berg@Example.no"; compare with lower-cased copies
  bool operator==(const address&) const = default;
};

/// A header field of the top-level message: name as written, value unfolded and decoded.
struct header_field {
  std::string name;
  std::string value;
};

/// One attachment (or inline part that is not part of the readable body).
struct attachment {
  std::string filename;      ///< safe: no directories, no control characters, never empty
  std::string content_type;  ///< lower-case type/subtype, e.g. "application/pdf"
  std::string disposition;   ///< "attachment" or "inline"
  std::optional<std::string> content_id;  ///< without angle brackets
  std::string sha256;                     ///< lower-case hex of the decoded content
  std::string data;                       ///< decoded content
};

struct parsed_message {
  std::optional<std::string> message_id;   ///< without angle brackets
  std::optional<std::string> in_reply_to;  ///< first msg-id of In-Reply-To, no brackets
  std::vector<std::string> references;     ///< msg-ids of References, oldest first
  std::optional<std::int64_t> date;        ///< seconds since the epoch, UTC
  std::optional<address> from;
  std::vector<address> reply_to, to, cc;
  std::optional<std::string> subject;  ///< decoded and unfolded
  std::string text;                    ///< readable body, LF line ends
  std::optional<std::string> html;     ///< the HTML body, if there was one
  std::vector<attachment> attachments;
  std::vector<header_field> headers;  ///< top-level headers, in order
  std::vector<std::string> defects;   ///< what was wrong with the input and how it was repaired

  /// The first header with this name (ASCII case-insensitive), or nullptr.
  const header_field* header(std::string_view name) const;
};

/// Lower-cases ASCII letters (addresses, header names, charset names).
std::string ascii_lower(std::string_view s);
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

}  // namespace hd
