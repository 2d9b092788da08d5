#pragma once
// Match types and comparators (RFC 5228 section 2.7, RFC 5231, the regex draft): one value
// against one key. Linear in the value's length for every match type.

#include "program.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hd::rules {

/// One key, resolved: its text, lower-cased text (casemap) and compiled pattern (if any).
struct key_ref {
  std::string_view text;
  std::string_view folded;
  const RE2* re = nullptr;
};

/// True when VALUE matches KEY under M's match type and comparator (not :count). On a
/// :matches or :regex success with `captures` given, fills it with ${0}..${9}.
bool match_one(const match_spec& m, std::string_view value, const key_ref& key,
               std::vector<std::string>* captures);

/// A :matches key of a plain shape (see glob_shape) against VALUE, without a regex.
bool match_shape(const match_spec& m, std::size_t key, std::string_view value);

/// The fast path for a plain match_spec (see match_spec::plain): VALUE is already lower-cased.
/// Returns the index of the key that matched, or -1.
int match_plain(const match_spec& m, std::string_view folded_value);

/// Applies M's relation to the comparator's ordering of A and B (:value and :count).
bool relate(const match_spec& m, std::string_view a, std::string_view b);

/// ASCII case-insensitive search for an already lower-cased NEEDLE.
bool contains_folded(std::string_view hay, std::string_view folded_needle);

}  // namespace hd::rules
