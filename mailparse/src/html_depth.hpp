#pragma once
// What html_text.cpp and html_safe.cpp share: a cheap look at HTML before it is parsed.

#include <cstddef>
#include <string_view>

namespace hd::mailparse {

/// The deepest nesting the tags of HTML could build, counted without parsing (linear). The
/// HTML5 tree builder checks its stack of open elements for many tags, so its time grows with
/// the square of the nesting depth: hostile mail is deep.
std::size_t nesting_estimate(std::string_view html);

}  // namespace hd::mailparse
