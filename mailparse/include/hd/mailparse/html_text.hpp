#pragma once
// HTML to readable plain text with a real HTML parser (gumbo).

#include <functional>
#include <string>
#include <string_view>

namespace hd::mailparse {

/// Readable text of an HTML document (UTF-8 in, UTF-8 out, LF line ends): paragraphs and
/// headings separated by a blank line, <br> as a line break, list items as "- item" or
/// "1. item", links as "text <url>" (just the text when it is the URL), table cells separated
/// by spaces and rows by lines, <pre> kept as is; <head>, <style>, <script> and other
/// non-content elements dropped; entities decoded. Time and stack use are linear in the input
/// (no recursion), whatever its nesting. `over_budget`, when set, is asked before parsing
/// and every few thousand nodes; once it answers true the text converted so far is returned.
std::string html_to_text(std::string_view html, const std::function<bool()>& over_budget = {});

}  // namespace hd::mailparse
