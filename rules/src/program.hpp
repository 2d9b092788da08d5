#pragma once
// The typed program a script compiles to: commands and tests with their arguments checked,
// header names interned, constant keys folded and constant patterns compiled with RE2.

#include "hd/rules/script.hpp"

#include <re2/re2.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace hd::rules {

/// A string argument; `dynamic` when it holds "${...}" and the script requires "variables".
struct vstring {
  std::string text;
  bool dynamic = false;
};

enum class match_type { is, contains, matches, regex, value, count };
enum class comparator { octet, casemap, numeric };
enum class relation { gt, ge, lt, le, eq, ne };
enum class addr_part { all, localpart, domain, user, detail };
enum class body_transform { text, raw, content };

/// A constant :matches glob that needs no regex: "lit", "lit*", "*lit", "*lit*", "*".
enum class glob_shape { regex, exact, prefix, suffix, infix, any };

struct match_spec {
  match_type type = match_type::is;
  relation rel = relation::eq;
  comparator cmp = comparator::casemap;
  std::vector<vstring> keys;
  std::vector<std::string> folded;             ///< constant keys, lower-cased for casemap
  std::vector<std::shared_ptr<const RE2>> re;  ///< constant :matches/:regex keys, compiled
  std::vector<glob_shape> shapes;    ///< per key, for :matches (regex when it has ? or inner *)
  std::vector<std::string> literal;  ///< per key: the glob without its outer stars (folded)
  /// i;ascii-casemap with constant keys and :is, :contains or plain-shaped :matches: can be
  /// matched against lower-cased values with byte comparisons (the fast path).
  bool plain = false;
};

enum class test_kind {
  address,
  envelope,
  header,
  exists,
  size,
  allof,
  anyof,
  not_,
  true_,
  false_,
  body,
  string,
  followup
};

struct test {
  test_kind kind = test_kind::true_;
  int line = 0, column = 0;
  std::string text;            ///< as written, for the trace
  std::vector<vstring> names;  ///< header names, envelope parts, or string sources
  std::vector<int> ids;        ///< interned header name per constant name, -1 if dynamic
  match_spec m;
  addr_part part = addr_part::all;
  bool over = false;  ///< size :over (else :under)
  std::uint64_t limit = 0;
  body_transform transform = body_transform::text;
  std::vector<std::string> content_types;
  std::vector<test> children;
};

enum class cmd_kind {
  if_,
  stop,
  keep,
  discard,
  redirect,
  fileinto,
  set,
  category,
  assign,
  priority,
  tag,
  noack,
  template_
};

enum class set_modifier { lower, upper, lowerfirst, upperfirst, quotewildcard, length };

struct command;
struct branch {
  std::optional<test> cond;  ///< none: else
  std::vector<command> body;
};

struct command {
  cmd_kind kind = cmd_kind::stop;
  int line = 0, column = 0;
  std::string text;
  std::vector<branch> branches;  ///< if / elsif / else
  vstring arg;                   ///< folder, address, name; variable name for set
  vstring value;                 ///< set: the value
  std::vector<set_modifier> modifiers;
};

struct compiled {
  std::string name;
  limits lim;
  bool variables = false;        ///< "variables" was required: expand ${...}
  bool match_variables = false;  ///< some string refers to ${0}..${9}: capture on match
  std::vector<command> commands;
  std::unordered_map<std::string, int> header_ids;  ///< lower-cased header name -> id
  std::vector<std::string> header_names;            ///< by id
};

/// "${name}" / "${1}" present (only meaningful when variables are on).
bool has_variable_reference(std::string_view s);

/// Builds the RE2 for a :matches glob ("*", "?", "\\" escapes): anchored, one capture group
/// per wildcard. The comparators are octet-based (RFC 4790), as in Pigeonhole: "?" takes one
/// byte, also of a UTF-8 character ("é" is "??"), and the pattern is compiled as Latin-1 (see
/// regex_options) so that any byte is one character. Under i;ascii-casemap each ASCII letter
/// becomes a class of both cases ([aA]); other bytes match only themselves.
std::string glob_to_regex(std::string_view glob, comparator c);
/// RE2 options for the match types: :matches byte-wise (Latin-1, case handled by
/// glob_to_regex), :regex over UTF-8.
RE2::Options regex_options(match_type t, comparator c);

}  // namespace hd::rules
