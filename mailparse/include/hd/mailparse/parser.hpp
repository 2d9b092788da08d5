#pragma once
// mailparse: bytes in, a parsed message plus a list of defects out. Pure: no I/O, no clock,
// no environment, no logging. Safe to call from several threads at once.

#include "hd/common/error.hpp"
#include "hd/common/message.hpp"

#include <cstdint>
#include <string_view>

namespace hd::mailparse {

/// Input limits (Postfix/Dovecot defaults). Past a limit the parser stops descending and
/// records a defect; it never fails because of a limit, except max_message_bytes.
struct limits {
  std::int64_t max_message_bytes = 10 * 1024 * 1024;  ///< larger input: errc::too_large
  std::int64_t max_header_bytes = 100 * 1024;         ///< header block truncated past this
  int max_mime_depth = 100;                           ///< deeper parts are not descended into
  int max_parts = 10000;                              ///< later parts are not looked at
};

enum class errc {
  empty,       ///< no bytes at all
  no_headers,  ///< only white space (input without headers is read as body text, a defect)
  too_large,   ///< larger than limits::max_message_bytes
};

/// Parses one RFC 5322 message. Never throws on bad input: a message that can be read at all
/// comes back with whatever was wrong listed in `defects`. Only input with nothing usable in it
/// (see errc) is an error.
result<parsed_message, errc> parse(std::string_view raw, const limits& lim = {});

}  // namespace hd::mailparse
