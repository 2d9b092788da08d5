#pragma once
// "Did you mean ...?": the nearest of a set of known names to a misspelt one, for config keys
// (`pasword_file` -> `password_file`), template names and the like.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd {

/// The Damerau-Levenshtein (optimal string alignment) distance between A and B, in bytes:
/// insertions, deletions, substitutions and swaps of two neighbours each count one.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to WORD, when it is close enough to be a likely typo: at most one
/// edit for names up to 4 bytes, two up to 8, three beyond (case is ignored). Ties go to the
/// first candidate. nullopt when none is close or WORD is itself one of them.
std::optional<std::string> nearest_name(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// " (did you mean 'X'?)" for nearest_name's answer, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace hd
