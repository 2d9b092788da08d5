// From the untyped parse tree to the typed program: every command is checked here, so that
// evaluation never meets a malformed one. Tests are in compile_tests.cpp.
#include "compiler.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hd::rules {
namespace {

const std::set<std::string, std::less<>>& capabilities() {
  static const std::set<std::string, std::less<>> caps = {"body",
                                                          "comparator-i;ascii-casemap",
                                                          "comparator-i;ascii-numeric",
                                                          "comparator-i;octet",
                                                          "envelope",
                                                          "fileinto",
                                                          "regex",
                                                          "relational",
                                                          "subaddress",
                                                          "variables",
                                                          "vnd.helpdeskd"};
  return caps;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

void compiler::run(const std::vector<command_node>& nodes) {
  bool requires_allowed = true;
  for (const command_node& n : nodes) {
    if (n.name == "require") {
      if (!requires_allowed) error(n.at, "'require' must come before every other command");
      require(n);
      continue;
    }
    requires_allowed = false;
  }
  p_.variables = has("variables");
  block(nodes, p_.commands, true);
}

bool compiler::need(position at, std::string_view cap, std::string_view what) {
  if (has(cap)) return true;
  error(at, fmt::format("{} needs 'require \"{}\";' at the top of the script", what, cap));
  return false;
}

void compiler::require(const command_node& n) {
  if (n.args.size() != 1 || n.args[0].type != argument::kind::string_list || !n.tests.empty() ||
      n.block) {
    error(n.at, "'require' takes one string or a string list, e.g. require [\"fileinto\"];");
    return;
  }
  for (const std::string& cap : n.args[0].strings) {
    if (capabilities().count(cap) == 0) {
      error(n.args[0].at, fmt::format("unsupported extension '{}' (supported: {})", cap,
                                      join({capabilities().begin(), capabilities().end()})));
    } else {
      caps_.insert(cap);
    }
  }
}

vstring compiler::make(const std::string& s) const {
  bool dynamic = p_.variables && has_variable_reference(s);
  for (std::size_t i = s.find("${"); dynamic && i != std::string::npos; i = s.find("${", i + 2))
    if (i + 2 < s.size() && s[i + 2] >= '0' && s[i + 2] <= '9') p_.match_variables = true;
  return vstring{s, dynamic};
}

std::string compiler::text_of(std::size_t begin, std::size_t end) const {
  std::string out;
  bool space = false;
  for (std::size_t i = begin; i < end && i < src_.size(); ++i) {
    char c = src_[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() > 160) return out + " ...";
  }
  return out;
}

void compiler::block(const std::vector<command_node>& nodes, std::vector<command>& out, bool top) {
  for (const command_node& n : nodes) {
    if (n.name == "require") {
      if (!top) error(n.at, "'require' is only allowed at the top of the script");
      continue;
    }
    if (n.name == "elsif" || n.name == "else") {
      if (out.empty() || out.back().kind != cmd_kind::if_ || !out.back().branches.back().cond) {
        error(n.at, fmt::format("'{}' without a preceding 'if'", n.name));
        continue;
      }
      if_branch(n, out.back());
      continue;
    }
    if (n.name == "if") {
      command c = base(n, cmd_kind::if_);
      if_branch(n, c);
      out.push_back(std::move(c));
      continue;
    }
    if (n.block) error(n.at, fmt::format("'{}' does not take a block {{ ... }}", n.name));
    if (auto c = simple(n)) out.push_back(std::move(*c));
  }
}

command compiler::base(const command_node& n, cmd_kind k) const {
  command c;
  c.kind = k;
  c.line = n.at.line;
  c.column = n.at.column;
  c.text = text_of(n.begin, n.end);
  return c;
}

void compiler::if_branch(const command_node& n, command& c) {
  branch b;
  if (n.name != "else") {
    if (!n.args.empty() || n.tests.size() != 1 || n.test_list)
      error(n.at, fmt::format("'{}' takes exactly one test, e.g. {} header :contains "
                              "\"subject\" \"invoice\" {{ ... }}",
                              n.name, n.name));
    if (!n.tests.empty()) b.cond = compile_test(n.tests[0]);
    if (!b.cond) b.cond = test{};
  } else if (!n.args.empty() || !n.tests.empty()) {
    error(n.at, "'else' takes no test");
  }
  if (!n.block) {
    error(n.at, fmt::format("'{}' needs a block {{ ... }}", n.name));
  } else {
    block(*n.block, b.body, false);
  }
  c.branches.push_back(std::move(b));
}

std::optional<command> compiler::simple(const command_node& n) {
  auto no_args = [&](cmd_kind k, const char* cap) -> std::optional<command> {
    if (cap && !need(n.at, cap, fmt::format("'{}'", n.name))) return std::nullopt;
    if (!n.args.empty() || !n.tests.empty()) {
      error(n.at, fmt::format("'{}' takes no arguments", n.name));
      return std::nullopt;
    }
    return base(n, k);
  };
  const std::string& s = n.name;
  if (s == "stop") return no_args(cmd_kind::stop, nullptr);
  if (s == "keep") return no_args(cmd_kind::keep, nullptr);
  if (s == "discard") return no_args(cmd_kind::discard, nullptr);
  if (s == "noack") return no_args(cmd_kind::noack, "vnd.helpdeskd");
  if (s == "redirect") return one_string(n, cmd_kind::redirect, nullptr);
  if (s == "fileinto") return one_string(n, cmd_kind::fileinto, "fileinto");
  if (s == "category") return one_string(n, cmd_kind::category, "vnd.helpdeskd");
  if (s == "assign") return one_string(n, cmd_kind::assign, "vnd.helpdeskd");
  if (s == "priority") return one_string(n, cmd_kind::priority, "vnd.helpdeskd");
  if (s == "tag") return one_string(n, cmd_kind::tag, "vnd.helpdeskd");
  if (s == "template") return one_string(n, cmd_kind::template_, "vnd.helpdeskd");
  if (s == "set") return set_command(n);
  error(n.at, fmt::format("unknown command '{}'", s));
  return std::nullopt;
}

std::optional<command> compiler::one_string(const command_node& n, cmd_kind k, const char* cap) {
  if (cap && !need(n.at, cap, fmt::format("'{}'", n.name))) return std::nullopt;
  if (n.args.size() != 1 || n.args[0].type != argument::kind::string_list ||
      n.args[0].strings.size() != 1 || n.args[0].was_list || !n.tests.empty()) {
    error(n.at, fmt::format("'{}' takes one string, e.g. {} \"{}\";", n.name, n.name,
                            k == cmd_kind::redirect ? "someone@example.com" : "name"));
    return std::nullopt;
  }
  command c = base(n, k);
  c.arg = make(n.args[0].strings[0]);
  if (k == cmd_kind::redirect && !c.arg.dynamic && c.arg.text.find('@') == std::string::npos) {
    error(n.args[0].at, fmt::format("'{}' is not a mail address", c.arg.text));
  }
  if (!c.arg.dynamic) check_name(n, c.arg.text, k);
  return c;
}

void compiler::check_name(const command_node& n, const std::string& v, cmd_kind k) {
  auto check = [&](const std::optional<std::vector<std::string>>& list, const char* what,
                   const char* where) {
    if (list && !contains(*list, v))
      error(n.args[0].at, fmt::format("unknown {} '{}' (known: {}; declare it {})", what, v,
                                      list->empty() ? "none" : join(*list), where));
  };
  switch (k) {
    case cmd_kind::category:
    case cmd_kind::fileinto:
      check(known_.categories, "category", "with [[category]] in the config");
      break;
    case cmd_kind::assign:
      check(known_.users, "user", "with [[user]] in the config");
      break;
    case cmd_kind::priority:
      check(known_.priorities, "priority", "with [[priority]] in the config");
      break;
    case cmd_kind::template_:
      check(known_.templates, "template", "as a file in the templates directory");
      break;
    default:
      break;
  }
}

std::optional<command> compiler::set_command(const command_node& n) {
  if (!need(n.at, "variables", "'set'")) return std::nullopt;
  command c = base(n, cmd_kind::set);
  std::vector<const argument*> strings;
  for (const argument& a : n.args) {
    if (a.type == argument::kind::tag) {
      static const std::pair<const char*, set_modifier> mods[] = {
          {"lower", set_modifier::lower},
          {"upper", set_modifier::upper},
          {"lowerfirst", set_modifier::lowerfirst},
          {"upperfirst", set_modifier::upperfirst},
          {"quotewildcard", set_modifier::quotewildcard},
          {"length", set_modifier::length}};
      auto it = std::find_if(std::begin(mods), std::end(mods),
                             [&](const auto& m) { return a.tag == m.first; });
      if (it == std::end(mods)) {
        error(a.at, fmt::format("unknown modifier ':{}' for 'set'", a.tag));
        return std::nullopt;
      }
      c.modifiers.push_back(it->second);
    } else if (a.type == argument::kind::string_list && a.strings.size() == 1 && !a.was_list) {
      strings.push_back(&a);
    } else {
      strings.clear();
      break;
    }
  }
  if (strings.size() != 2 || !n.tests.empty()) {
    error(n.at, "'set' takes a name and a value, e.g. set \"queue\" \"billing\";");
    return std::nullopt;
  }
  // Higher precedence first (RFC 5229 section 4.1): case, first letter, wildcards, length.
  auto rank = [](set_modifier m) {
    switch (m) {
      case set_modifier::lower:
      case set_modifier::upper:
        return 0;
      case set_modifier::lowerfirst:
      case set_modifier::upperfirst:
        return 1;
      case set_modifier::quotewildcard:
        return 2;
      case set_modifier::length:
        return 3;
    }
    return 4;
  };
  for (std::size_t i = 0; i < c.modifiers.size(); ++i)
    for (std::size_t j = i + 1; j < c.modifiers.size(); ++j)
      if (rank(c.modifiers[i]) < 2 && rank(c.modifiers[i]) == rank(c.modifiers[j]) &&
          c.modifiers[i] != c.modifiers[j]) {
        // As Pigeonhole: ":lower :upper" cannot both apply.
        error(n.at,
              "'set' modifiers of the same precedence conflict (:lower/:upper, "
              ":lowerfirst/:upperfirst)");
        return std::nullopt;
      }
  std::stable_sort(c.modifiers.begin(), c.modifiers.end(),
                   [&](set_modifier a, set_modifier b) { return rank(a) < rank(b); });
  c.arg = vstring{ascii_lower(strings[0]->strings[0]), false};
  const std::string& name = c.arg.text;
  bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  }) && !(name[0] >= '0' && name[0] <= '9');
  if (!ok) error(strings[0]->at, fmt::format("'{}' is not a valid variable name", name));
  c.value = make(strings[1]->strings[0]);
  return c;
}

namespace {

std::vector<script_error> compile_into(std::string_view text, const limits& lim,
                                       const known_names& known, compiled& p) {
  if (text.size() > lim.max_script_bytes)
    return {script_error{1, 1,
                         fmt::format("the script is {} bytes, more than "
                                     "rules.max_script_bytes ({})",
                                     text.size(), lim.max_script_bytes)}};
  lex_result lx = lex(text);
  if (lx.error) return {*lx.error};
  parse_result ps = parse(lx.tokens, lim.max_nesting);
  if (ps.error) return {*ps.error};
  std::vector<script_error> errors;
  compiler(text, known, p, errors).run(ps.commands);
  std::stable_sort(errors.begin(), errors.end(), [](const script_error& a, const script_error& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return errors;
}

}  // namespace

result<script, errc> compile(std::string_view text, const std::string& name, const limits& lim,
                             const known_names& known) {
  auto p = std::make_shared<compiled>();
  p->name = name;
  p->lim = lim;
  auto errors = compile_into(text, lim, known, *p);
  if (text.size() > lim.max_script_bytes)
    return fail(errc::too_large, fmt::format("{}:1:1: {}", name, errors.front().message));
  if (!errors.empty()) {
    std::string msg;
    for (const script_error& e : errors)
      msg +=
          fmt::format("{}{}:{}:{}: {}", msg.empty() ? "" : "\n", name, e.line, e.column, e.message);
    return fail(errc::invalid, msg);
  }
  return script(std::move(p));
}

std::vector<script_error> compile_errors(std::string_view text, const std::string& /*name*/,
                                         const limits& lim, const known_names& known) {
  compiled p;
  return compile_into(text, lim, known, p);
}

script::script() : c_(std::make_shared<compiled>()) {}
script::script(std::shared_ptr<const compiled> c) : c_(std::move(c)) {}
const std::string& script::name() const { return c_->name; }

}  // namespace hd::rules
