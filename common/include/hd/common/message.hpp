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

/// One per-recipient block of a delivery-status notification (RFC 3464).
struct dsn_recipient {
  std::string address;     ///< Final-Recipient (else Original-Recipient), lower-case addr-spec
  std::string action;      ///< failed, delayed, delivered, relayed, expanded (lower-case)
  std::string status;      ///< e.g. "5.1.1"
  std::string diagnostic;  ///< Diagnostic-Code, at most 300 bytes
};

/// What mailparse recognised about a mail sent by a program (RFC 3834 Auto-Submitted, RFC 3464
/// delivery-status notifications, vendor headers). A subject ("Automatic reply: ...") is never
/// a reason on its own.
struct robot_facts {
  /// Sent by a program, not a person: Auto-Submitted other than "no", X-Autoreply,
  /// X-Autorespond, Precedence: auto_reply, an empty Return-Path (<>), or a delivery-status
  /// notification.
  bool auto_submitted = false;
  /// An automatic answer to someone's mail (out-of-office, vacation): Auto-Submitted:
  /// auto-replied, X-Autoreply, X-Autorespond or Precedence: auto_reply, and not a DSN.
  bool out_of_office = false;
  /// A delivery-status notification: multipart/report; report-type=delivery-status, or a
  /// message/delivery-status part.
  bool delivery_status = false;
  /// Bulk or list mail: Precedence bulk, junk or list; List-Id or List-Unsubscribe.
  bool bulk = false;
  /// The sender asked for no automatic replies (X-Auto-Response-Suppress: All, OOF or
  /// AutoReply); true as well for everything above.
  bool suppress_auto_reply = false;
  std::string reason;  ///< what decided first, e.g. "Auto-Submitted: auto-replied"; "" if none
  /// DSN: the Message-ID of the mail that was not delivered (no brackets), from its returned
  /// headers (text/rfc822-headers or message/rfc822).
  std::optional<std::string> original_message_id;
  std::vector<dsn_recipient> recipients;  ///< DSN: the per-recipient blocks, in order
  /// True when any automatic mark was found.
  bool any() const { return auto_submitted || delivery_status || bulk || suppress_auto_reply; }
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
  robot_facts robot;                  ///< automatic mail: out-of-office, DSN, bulk (see above)

  /// The first header with this name (ASCII case-insensitive), or nullptr.
  const header_field* header(std::string_view name) const;
};

/// Lower-cases ASCII letters (addresses, header names, charset names).
std::string ascii_lower(std::string_view s);
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

}  // namespace hd
