#pragma once
// Address headers as Sieve's `address` test reads them, the way Dovecot Pigeonhole does, so a
// script routes the same mail the same way under helpdeskd and under Dovecot.
//
// The value is the raw header (unfolded, RFC 2047 words left as written) parsed as an RFC 5322
// address list, leniently in the places real mail needs it and strictly in the rest:
// - every mailbox with a local part and a domain counts; group names, mailboxes without a
//   domain, unparsable ones and local parts that are not ASCII are skipped;
// - a value with no such mailbox at all is one "unparsed" entry: `:all` sees the value as
//   written, `:localpart`, `:domain`, `:user` and `:detail` see nothing;
// - an empty value is one entry whose every part is "";
// - the list ends at the first garbage after a mailbox ("a@b c@d" is a@b), and a value that
//   starts with an unterminated comment yields no entry.
// The request's person is not made from this: mailparse's tolerant parse is, which recovers
// the address in "Big Bug bb@bug.com"; rules see what a Sieve engine sees.

#include "program.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::rules {

/// One entry of an address header for the `address` test.
struct sieve_address {
  enum class kind {
    mailbox,   ///< local@domain
    unparsed,  ///< no usable mailbox in the value: `all` is the value as written
    empty,     ///< the header is empty: every part is ""
    null,      ///< a mailbox with an empty local part (""@domain): counted, matches nothing
  };
  kind k = kind::mailbox;
  std::string local;   ///< mailbox: the local part without quotes
  std::string domain;  ///< mailbox: as written, case kept
  std::string all;     ///< mailbox: local (quoted when not a dot-atom) "@" domain; unparsed: raw
};

/// Pigeonhole reads at most this many addresses of one header value.
inline constexpr std::size_t k_max_addresses_per_value = 256;

/// The entries of one raw header value (unfolded, trimmed; any bytes).
std::vector<sieve_address> sieve_address_list(std::string_view raw_value);

/// The part an address test compares, or nullopt when the entry has no such part.
std::optional<std::string_view> address_part(const sieve_address& a, addr_part part);

/// The parts of an envelope address (an SMTP path without angle brackets).
std::optional<std::string_view> envelope_part(std::string_view addr, addr_part part);

}  // namespace hd::rules
