#pragma once
// The compiler from parse tree to program (compiler.cpp: commands, compile_tests.cpp: tests).

#include "ast.hpp"
#include "program.hpp"

#include <set>

namespace hd::rules {

class compiler {
 public:
  compiler(std::string_view src, const known_names& known, compiled& out,
           std::vector<script_error>& errors)
      : src_(src), known_(known), p_(out), errors_(errors) {}

  /// Compiles the top-level commands into the program; errors are appended.
  void run(const std::vector<command_node>& nodes);

 private:
  struct tagged {
    std::optional<match_type> type;
    std::optional<comparator> cmp;
    std::optional<addr_part> part;
    std::optional<bool> over;
    std::optional<body_transform> transform;
    std::vector<std::string> content_types;
    relation rel = relation::eq;
    std::vector<const argument*> positional;
  };

  void error(position at, std::string msg) {
    errors_.push_back(script_error{at.line, at.column, std::move(msg)});
  }
  bool has(std::string_view cap) const { return caps_.count(std::string(cap)) > 0; }
  bool need(position at, std::string_view cap, std::string_view what);
  void require(const command_node& n);
  vstring make(const std::string& s) const;
  std::string text_of(std::size_t begin, std::size_t end) const;

  void block(const std::vector<command_node>& nodes, std::vector<command>& out, bool top);
  command base(const command_node& n, cmd_kind k) const;
  void if_branch(const command_node& n, command& c);
  std::optional<command> simple(const command_node& n);
  std::optional<command> one_string(const command_node& n, cmd_kind k, const char* cap);
  void check_name(const command_node& n, const std::string& v, cmd_kind k);
  std::optional<command> set_command(const command_node& n);

  test compile_test(const test_node& n);
  bool read_tags(const test_node& n, tagged& t);
  void finish_match(const test_node& n, tagged& tg, test& t, const argument& keys);
  void compile_keys(position at, match_spec& m);
  void intern_names(test& t);

  std::string_view src_;
  const known_names& known_;
  compiled& p_;
  std::vector<script_error>& errors_;
  std::set<std::string> caps_;
};

}  // namespace hd::rules
