#pragma once
// The top-level header fields of a message: addresses, subject, ids, date (internal).

#include "hd/common/message.hpp"

#include <gmime/gmime.h>

namespace hd::mailparse {

/// Fills headers, message_id, in_reply_to, references, date, from, reply_to, to, cc and
/// subject of `msg` from the raw header values of `m`; repairs go to msg.defects.
void read_envelope(GMimeMessage* m, GMimeParserOptions* options, parsed_message& msg);

/// Mailboxes of an address-list header value (raw, as written): groups flattened, encoded
/// words decoded, raw 8-bit read as UTF-8 else windows-1252. When nothing parses, a bare
/// addr-spec found in the text is returned.
std::vector<address> parse_addresses(std::string_view raw, GMimeParserOptions* options,
                                     std::vector<std::string>* defects,
                                     std::string_view fallback_charset = "");

}  // namespace hd::mailparse
