#pragma once
// A small, pure IMAP4rev1 response parser (RFC 3501 server responses): frames a byte stream
// into responses (understanding literals "{n}\r\n"), and parses each into the few things the
// intake needs: status responses with their codes, CAPABILITY, SEARCH, EXISTS/EXPUNGE/RECENT
// and FETCH (UID, RFC822.SIZE, FLAGS, BODY[...] / BODY.PEEK[...] data). No I/O, no logging.
// Hostile input never throws: it yields an error value, and memory is bounded by the limits.

#include "hd/common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::daemon::imap {

enum class errc {
  too_long,   ///< a line or literal exceeds the framer's limits
  malformed,  ///< the bytes are not an IMAP response
};

enum class response_kind { untagged, tagged, continuation };

/// One message's FETCH data: only the items present are set.
struct fetch_data {
  std::int64_t seq = 0;  ///< message sequence number
  std::optional<std::int64_t> uid;
  std::optional<std::int64_t> size;  ///< RFC822.SIZE
  std::vector<std::string> flags;
  std::optional<std::string> body;  ///< the first BODY[...] item (BODY.PEEK answers as BODY)
  std::string section;              ///< its section, e.g. "" or "HEADER"
};

/// A parsed server response.
struct response {
  response_kind kind = response_kind::untagged;
  std::string tag;      ///< for tagged responses
  std::string keyword;  ///< upper case: OK NO BAD BYE PREAUTH CAPABILITY SEARCH EXISTS FETCH ...
  std::int64_t number = 0;  ///< "* n EXISTS" / "* n EXPUNGE" / "* n RECENT" / FETCH seq
  std::string code;         ///< status response code, upper case: "UIDVALIDITY", "ALERT"
  std::string code_arg;     ///< its argument text, e.g. "1795366309"
  std::string text;         ///< human-readable text of status and continuation responses
  std::vector<std::string> capabilities;  ///< upper case; also from a [CAPABILITY ...] code
  std::vector<std::int64_t> search;       ///< SEARCH results
  std::optional<fetch_data> fetch;

  /// True for tagged/untagged OK.
  bool ok() const { return keyword == "OK"; }
};

/// Limits of the framer: a response's text outside literals, and each literal.
struct framer_limits {
  std::size_t max_line = 16 * 1024 * 1024;
  std::size_t max_literal = 64 * 1024 * 1024;
};

/// Splits a byte stream into complete responses (each including its literals and final CRLF).
class framer {
 public:
  explicit framer(framer_limits lim = {}) : lim_(lim) {}
  /// Appends received bytes.
  void feed(std::string_view bytes) { buf_.append(bytes); }
  /// The next complete response's bytes (without the final CRLF), nullopt when more bytes are
  /// needed, or an error (too_long) after which the stream cannot be trusted.
  result<std::optional<std::string>, errc> next();
  /// Bytes received but not yet returned.
  std::size_t buffered() const { return buf_.size() - start_; }

 private:
  framer_limits lim_;
  std::string buf_;
  std::size_t start_ = 0;  ///< where the current response begins
  std::size_t scan_ = 0;   ///< where to look for the next CRLF (after literals already seen)
  std::size_t text_ = 0;   ///< bytes of the current response outside literals
};

/// Parses one framed response (as returned by framer::next). Unknown untagged responses are
/// returned with only `keyword` set; unparseable ones are an error.
result<response, errc> parse_response(std::string_view bytes);

/// Quotes a string as an IMAP quoted string ("..." with \ and " escaped). Strings with CR, LF
/// or NUL cannot be quoted: nullopt.
std::optional<std::string> quote(std::string_view s);

/// Formats a UID set "1:3,7,9:10" from ascending UIDs.
std::string uid_set(const std::vector<std::int64_t>& uids);

}  // namespace hd::daemon::imap
