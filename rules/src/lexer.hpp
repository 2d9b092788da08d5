#pragma once
// Sieve tokens (RFC 5228 section 8.1): identifiers, tags, numbers, quoted and multi-line
// strings, and punctuation, each with its line and column.

#include "hd/rules/script.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hd::rules {

enum class token_kind { identifier, tag, number, string, punct, end };

struct token {
  token_kind kind = token_kind::end;
  std::string text;  ///< identifier/tag name (lower-cased), string value, or the punctuation
  std::uint64_t number = 0;
  int line = 1;
  int column = 1;
  std::size_t offset = 0;  ///< byte offset of the token's first character
  std::size_t end = 0;     ///< byte offset just past it
};

/// Splits TEXT into tokens; stops at the first lexical error and returns it in `error`.
struct lex_result {
  std::vector<token> tokens;  ///< always ends with an end token
  std::optional<script_error> error;
};
lex_result lex(std::string_view text);

}  // namespace hd::rules
