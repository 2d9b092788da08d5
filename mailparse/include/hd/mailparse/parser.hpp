#pragma once
// mailparse: bytes in, a parsed message plus a list of defects out. Pure: no I/O, no clock,
// no environment, no logging. Safe to call from several threads at once.

#include "hd/common/error.hpp"
#include "hd/common/message.hpp"

#include <cstdint>
#include <functional>
#include <string_view>

namespace hd::mailparse {

/// Input limits (Postfix/Dovecot defaults). Past a limit the parser stops descending and
/// records a defect; it never fails because of a limit, except max_message_bytes.
struct limits {
  std::int64_t max_message_bytes = 10 * 1024 * 1024;  ///< larger input: errc::too_large
  /// Header fields past this many bytes of header block are dropped, except the first of
  /// each identity header (From, Sender, Reply-To, To, Cc, Subject, Message-ID, In-Reply-To,
  /// References, Date, Return-Path, MIME-Version, Content-*, Auto-Submitted, Precedence).
  std::int64_t max_header_bytes = 100 * 1024;
  int max_mime_depth = 100;  ///< deeper parts are not descended into
  int max_parts = 10000;     ///< later parts are not looked at
  /// One header field (top-level, and the part headers we read) is cut to this many bytes
  /// (at a line end, else after a ','): a 1 MiB X- line or 10,000 addresses in To cost that
  /// one header, not the block.
  std::int64_t max_header_field_bytes = 64 * 1024;
  /// Top-level header fields kept; past it only the identity headers (see above) are read.
  int max_header_fields = 1000;
  /// Parameters read per Content-Type / Content-Disposition value (params.hpp).
  int max_params = 1000;
  /// The per-message time budget, as a question the parser asks: true means time is up.
  /// mailparse has no clock, so the caller supplies one (the daemon: limits.parse_budget_ms).
  /// Asked before and after GMime's structure pass, at every MIME part and every few thousand
  /// steps of HTML conversion; once it answers true the parser stops reading, keeps what it
  /// has and records k_budget_defect. Empty (the default): no budget.
  std::function<bool()> over_budget{};
};

/// The defect recorded when limits::over_budget fired (callers may look for it).
inline constexpr std::string_view k_budget_defect =
    "parse_budget_exceeded: the time budget ran out; the rest of the message was not read";

enum class errc {
  empty,       ///< no bytes at all
  no_headers,  ///< only white space, or not one line end in the first max_header_bytes
               ///< (input without headers is read as body text, a defect)
  too_large,   ///< larger than limits::max_message_bytes
};

/// Parses one RFC 5322 message. Never throws on bad input: a message that can be read at all
/// comes back with whatever was wrong listed in `defects`. Only input with nothing usable in it
/// (see errc) is an error.
result<parsed_message, errc> parse(std::string_view raw, const limits& lim = {});

}  // namespace hd::mailparse
