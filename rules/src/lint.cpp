// Warnings about a script that compiles but surprises: a catch-all `category "general";` at
// the end silently overrides every mailbox's own category (issue 19).
#include "hd/rules/script.hpp"
#include "program.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace hd::rules {
namespace {

struct setting {
  const char* name;
  const char* hidden;  ///< what the config would otherwise decide
};

std::optional<setting> setting_of(cmd_kind k) {
  switch (k) {
    case cmd_kind::category:
    case cmd_kind::fileinto:
      return setting{"category", "the mailbox's own `category`"};
    case cmd_kind::priority:
      return setting{"priority", "the mailbox's `priority` and the default [[priority]]"};
    case cmd_kind::assign:
      return setting{"owner", "the category's `assignment` method"};
    case cmd_kind::template_:
      return setting{"template", "[ack] template"};
    default:
      return std::nullopt;
  }
}

}  // namespace

std::vector<script_error> setting_warnings(const script& s) {
  std::vector<script_error> out;
  std::vector<std::string> warned;
  for (const command& c : s.program().commands) {
    // A top-level stop ends the script for every mail: nothing after it runs.
    if (c.kind == cmd_kind::stop) break;
    auto st = setting_of(c.kind);
    if (!st || std::find(warned.begin(), warned.end(), st->name) != warned.end()) continue;
    warned.push_back(st->name);
    out.push_back(
        {c.line, c.column,
         fmt::format("`{}` sets the {} of every mail that reaches it (it is not inside an `if`): "
                     "{} is never used for them, nor any later rule that sets the {}; put it "
                     "inside an `if`, or leave the {} to the config",
                     c.text, st->name, st->hidden, st->name, st->name)});
  }
  return out;
}

}  // namespace hd::rules
