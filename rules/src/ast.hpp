#pragma once
// The untyped Sieve parse tree (RFC 5228 section 8.2): commands and tests with their
// arguments, before any command is known. The compiler turns it into a typed program.

#include "lexer.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hd::rules {

struct position {
  int line = 1;
  int column = 1;
};

struct argument {
  enum class kind { string_list, number, tag } type = kind::string_list;
  std::vector<std::string> strings;
  bool was_list = false;  ///< written with [ ]
  std::uint64_t number = 0;
  std::string tag;  ///< without ':'
  position at;
};

struct test_node {
  std::string name;
  std::vector<argument> args;
  std::vector<test_node> tests;  ///< a single test or a test list
  bool test_list = false;        ///< written with ( )
  position at;
  std::size_t begin = 0, end = 0;  ///< source span
};

struct command_node {
  std::string name;
  std::vector<argument> args;
  std::vector<test_node> tests;
  bool test_list = false;
  std::optional<std::vector<command_node>> block;
  position at;
  std::size_t begin = 0, end = 0;
};

/// Parses tokens into commands; stops at the first syntax error.
struct parse_result {
  std::vector<command_node> commands;
  std::optional<script_error> error;
};
parse_result parse(const std::vector<token>& tokens, int max_nesting);

}  // namespace hd::rules
