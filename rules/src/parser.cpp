#include "ast.hpp"

#include <fmt/format.h>

namespace hd::rules {
namespace {

struct syntax_error {
  script_error e;
};

class parser {
 public:
  parser(const std::vector<token>& t, int max_nesting) : t_(t), max_nesting_(max_nesting) {}

  std::vector<command_node> commands(bool in_block) {
    std::vector<command_node> out;
    while (true) {
      const token& tk = peek();
      if (tk.kind == token_kind::end) {
        if (in_block) fail(tk, "missing '}' at the end of the script");
        return out;
      }
      if (is_punct(tk, "}")) {
        if (!in_block) fail(tk, "'}' without a matching '{'");
        return out;
      }
      out.push_back(command());
    }
  }

 private:
  const token& peek() const { return t_[i_]; }
  const token& take() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  static bool is_punct(const token& tk, const char* p) {
    return tk.kind == token_kind::punct && tk.text == p;
  }
  [[noreturn]] void fail(const token& tk, std::string msg) {
    throw syntax_error{script_error{tk.line, tk.column, std::move(msg)}};
  }
  static std::string describe(const token& tk) {
    switch (tk.kind) {
      case token_kind::identifier:
        return fmt::format("'{}'", tk.text);
      case token_kind::tag:
        return fmt::format("':{}'", tk.text);
      case token_kind::number:
        return fmt::format("the number {}", tk.number);
      case token_kind::string:
        return "a string";
      case token_kind::punct:
        return fmt::format("'{}'", tk.text);
      case token_kind::end:
        return "the end of the script";
    }
    return "?";
  }
  // Blocks and tests are counted apart, as in Pigeonhole ("cannot nest tests deeper than 32
  // levels"): the test list of one anyof is not a level, and the blocks around a test do not
  // add to its depth. A level is refused when its depth reaches the limit.
  void enter(const token& tk, int& depth, const char* what) {
    if (++depth >= max_nesting_)
      fail(tk, fmt::format("{} nested {} levels deep; the limit is fewer than {} "
                           "(rules.max_nesting)",
                           what, depth, max_nesting_));
  }

  command_node command() {
    const token& name = take();
    if (name.kind != token_kind::identifier)
      fail(name,
           fmt::format("expected a command such as 'if' or 'fileinto', found {}", describe(name)));
    command_node c;
    c.name = name.text;
    c.at = {name.line, name.column};
    c.begin = name.offset;
    arguments(c.args, c.tests, c.test_list);
    const token& tk = take();
    if (is_punct(tk, ";")) {
      c.end = tk.end;
      return c;
    }
    if (!is_punct(tk, "{"))
      fail(tk, fmt::format("expected ';' after the command '{}', found {}", c.name, describe(tk)));
    c.end = tk.offset;
    enter(tk, block_depth_, "blocks");
    c.block = commands(true);
    take();  // '}'
    --block_depth_;
    return c;
  }

  void arguments(std::vector<argument>& args, std::vector<test_node>& tests, bool& list) {
    while (true) {
      const token& tk = peek();
      if (tk.kind == token_kind::tag) {
        take();
        argument a;
        a.type = argument::kind::tag;
        a.tag = tk.text;
        a.at = {tk.line, tk.column};
        args.push_back(std::move(a));
      } else if (tk.kind == token_kind::number) {
        take();
        argument a;
        a.type = argument::kind::number;
        a.number = tk.number;
        a.at = {tk.line, tk.column};
        args.push_back(std::move(a));
      } else if (tk.kind == token_kind::string || is_punct(tk, "[")) {
        args.push_back(string_list());
      } else {
        break;
      }
    }
    const token& tk = peek();
    if (tk.kind == token_kind::identifier) {
      tests.push_back(test());
    } else if (is_punct(tk, "(")) {
      take();
      list = true;
      while (true) {
        tests.push_back(test());
        const token& sep = take();
        if (is_punct(sep, ")")) break;
        if (!is_punct(sep, ","))
          fail(sep, fmt::format("expected ',' or ')' in the test list, found {}", describe(sep)));
      }
    }
  }

  argument string_list() {
    const token& first = take();
    argument a;
    a.at = {first.line, first.column};
    if (first.kind == token_kind::string) {
      a.strings.push_back(first.text);
      return a;
    }
    a.was_list = true;
    while (true) {
      const token& s = take();
      if (s.kind != token_kind::string)
        fail(s, fmt::format("expected a string in the list, found {}", describe(s)));
      a.strings.push_back(s.text);
      const token& sep = take();
      if (is_punct(sep, "]")) return a;
      if (!is_punct(sep, ","))
        fail(sep, fmt::format("expected ',' or ']' in the string list, found {}", describe(sep)));
    }
  }

  test_node test() {
    const token& name = take();
    if (name.kind != token_kind::identifier)
      fail(name,
           fmt::format("expected a test such as 'header' or 'address', found {}", describe(name)));
    test_node n;
    n.name = name.text;
    n.at = {name.line, name.column};
    n.begin = name.offset;
    enter(name, test_depth_, "tests");
    arguments(n.args, n.tests, n.test_list);
    --test_depth_;
    n.end = i_ > 0 ? t_[i_ - 1].end : name.end;
    return n;
  }

  const std::vector<token>& t_;
  std::size_t i_ = 0;
  int max_nesting_;
  int block_depth_ = 0;
  int test_depth_ = 0;
};

}  // namespace

parse_result parse(const std::vector<token>& tokens, int max_nesting) {
  parse_result r;
  try {
    r.commands = parser(tokens, max_nesting).commands(false);
  } catch (const syntax_error& e) {
    r.error = e.e;
  }
  return r;
}

}  // namespace hd::rules
