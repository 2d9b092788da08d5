#pragma once
// What tests look at: header values by interned name, addresses and their parts, envelope,
// body. Built once per mail; address lists are parsed lazily.

#include "address.hpp"
#include "program.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::rules {

/// A top-level header as written: name, and value unfolded and trimmed but not decoded.
struct raw_header {
  std::string_view name;
  std::string value;  ///< any bytes
};

/// The top-level header block of RAW (up to the first empty line).
std::vector<raw_header> raw_headers(std::string_view raw);

/// The body of RAW as `body :raw` reads it: after the first empty line; empty without one.
std::string_view raw_body(std::string_view raw);

/// The mail as the tests see it.
class mail_view {
 public:
  mail_view(const compiled& p, const input& in);

  /// Values of all headers named by interned id, in order.
  const std::vector<std::string_view>& headers(int id) const { return headers_[id]; }
  /// Values of all headers with this (any-case) name; for names only known at run time.
  std::vector<std::string_view> headers(std::string_view name) const;
  /// Address entries of the headers named NAME (id -1: look up by name).
  const std::vector<sieve_address>& addresses(int id, std::string_view name);
  /// Lower-cased (ASCII) values of the headers with interned id ID; computed once per mail.
  const std::vector<std::string>& folded_headers(int id);
  /// Address parts of the headers with interned id ID, lower-cased when FOLD; cached per mail.
  const std::vector<std::string>& address_parts(int id, addr_part part, bool fold);
  /// Envelope "from" or "to".
  std::vector<std::string_view> envelope(std::string_view part) const;
  /// Body under a transform.
  std::vector<std::string_view> body(body_transform t, const std::vector<std::string>& types) const;
  std::size_t size() const { return in_.raw.size(); }
  const input& in() const { return in_; }

 private:
  std::vector<sieve_address> addresses_uncached(std::string_view lower_name);

  const compiled& p_;
  const input& in_;
  std::vector<std::vector<std::string_view>> headers_;
  std::vector<std::optional<std::vector<sieve_address>>> addresses_;
  std::vector<raw_header> sieve_headers_;  ///< the top-level headers, values decoded
  std::vector<raw_header> raw_;  ///< the raw header block, undecoded (address tests read it)
  std::vector<sieve_address> dynamic_addresses_;  ///< for names only known at run time
  struct cached {
    int key;
    std::vector<std::string> values;
  };
  std::vector<cached> cache_;
  mutable std::optional<std::vector<body_part>>
      parts_;  ///< in_.body_parts(), asked once  ///< folded headers and address parts: few per
               ///< mail, linear search
};

}  // namespace hd::rules
