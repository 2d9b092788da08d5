#pragma once
// What tests look at: header values by interned name, addresses and their parts, envelope,
// body. Built once per mail; address lists are parsed lazily.

#include "program.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::rules {

/// Splits an address-list header value into addr-specs (display names, comments, groups
/// dropped). Tolerant: never fails, skips what it cannot read.
std::vector<std::string> parse_address_list(std::string_view value);

/// The part of an addr-spec, or nullopt when it has no such part (no detail, no domain).
std::optional<std::string_view> address_part(std::string_view addr, addr_part part);

/// The mail as the tests see it.
class mail_view {
 public:
  mail_view(const compiled& p, const input& in);

  /// Values of all headers named by interned id, in order.
  const std::vector<std::string_view>& headers(int id) const { return headers_[id]; }
  /// Values of all headers with this (any-case) name; for names only known at run time.
  std::vector<std::string_view> headers(std::string_view name) const;
  /// Addresses in the headers named NAME (id -1: look up by name).
  const std::vector<std::string>& addresses(int id, std::string_view name);
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
  std::vector<std::string> addresses_uncached(std::string_view lower_name) const;

  const compiled& p_;
  const input& in_;
  std::vector<std::vector<std::string_view>> headers_;
  std::vector<std::optional<std::vector<std::string>>> addresses_;
  std::vector<std::pair<std::string_view, std::string>> raw_content_;  ///< Content-* from raw
  std::vector<std::string> dynamic_addresses_;  ///< for names only known at run time
  struct cached {
    int key;
    std::vector<std::string> values;
  };
  std::vector<cached> cache_;  ///< folded headers and address parts: few per mail, linear search
};

}  // namespace hd::rules
