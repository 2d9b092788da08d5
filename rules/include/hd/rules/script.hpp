#pragma once
// rules: routing in Sieve (RFC 5228) with fileinto, body, variables, subaddress, relational,
// regex (RE2) and the helpdesk extension "vnd.helpdeskd". Pure: text in, a compiled script out;
// a compiled script plus a parsed message in, actions, a decision and a trace out. No I/O, no
// clock, no logging. A compiled script is immutable and may be evaluated from several threads.

#include "hd/common/body_part.hpp"
#include "hd/common/error.hpp"
#include "hd/common/message.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::rules {

enum class errc {
  too_large,    ///< the script is larger than limits::max_script_bytes
  invalid,      ///< syntax or semantic errors; see script_error list
  cannot_read,  ///< (for callers that read the file) the rules file cannot be read
};

/// Limits applied at compile and evaluation time (config [rules]).
struct limits {
  std::size_t max_script_bytes = 1024 * 1024;
  int max_nesting = 32;                   ///< blocks and nested tests (allof/anyof/not)
  std::size_t max_variable_bytes = 4096;  ///< longer variable values are truncated
};

/// One problem in a script, with its position (1-based line and byte column).
struct script_error {
  int line = 0;
  int column = 0;
  std::string message;  ///< plain language, e.g. "unknown command 'filein'"
};

/// Names the script may refer to; empty optional = not checked.
struct known_names {
  std::optional<std::vector<std::string>> categories;
  std::optional<std::vector<std::string>> users;
  std::optional<std::vector<std::string>> priorities;
  std::optional<std::vector<std::string>> templates;
};

struct compiled;  // the typed program; private to the module

/// A compiled script: immutable, cheap to share.
class script {
 public:
  script();
  explicit script(std::shared_ptr<const compiled> c);
  const std::string& name() const;  ///< the file name given to compile(), used in reasons
  const compiled& program() const { return *c_; }

 private:
  std::shared_ptr<const compiled> c_;
};

/// Compiles TEXT (named NAME in messages). Syntax errors stop at the first one; semantic
/// errors (unknown commands, wrong arguments, missing require, RE2 patterns that do not
/// compile, names unknown to `known`) are all collected. On error, every problem is returned.
result<script, errc> compile(std::string_view text, const std::string& name, const limits& lim,
                             const known_names& known = {});
/// Every problem compile() would report (empty on success); the size limit is one error.
std::vector<script_error> compile_errors(std::string_view text, const std::string& name,
                                         const limits& lim, const known_names& known = {});

/// Settings the script decides for every mail that reaches it: a top-level (unconditional)
/// `category` or `fileinto`, `priority`, `assign` or `template` leaves the config's own value
/// for that setting (a mailbox's `category`, its `priority`, the category's assignment method,
/// [ack] template) unreachable, and every later rule that sets it dead. One warning (line,
/// column, message) per setting, at the first such command. Empty for a script that does not
/// compile.
std::vector<script_error> setting_warnings(const script& s);

/// Envelope of the delivery (from Return-Path / Delivered-To / pipe-mode arguments).
struct envelope {
  std::string from;             ///< empty: null sender "<>"
  std::vector<std::string> to;  ///< envelope recipients
};

/// Everything a script may look at.
struct input {
  const parsed_message* message = nullptr;  ///< must not be null
  std::string_view raw;                     ///< original bytes (size test, body :raw)
  envelope env;
  bool followup = false;  ///< the mail threads into an existing request (test `followup`)
  bool trace = true;      ///< record the trace (off for throughput)
  /// Decodes a raw header value (RFC 2047 words, 8-bit text) the way Dovecot does, so header
  /// tests see what Pigeonhole's see; the daemon passes mailparse::decode_strict. Without it
  /// such headers are tested as the parsed message has them.
  std::function<std::string(std::string_view)> decode_header;
  /// The MIME parts `body :content` and `body :text` read, split the way Pigeonhole splits
  /// them (every part with a body, attached messages included); the daemon passes
  /// mailparse::sieve_body_parts over `raw`. Called at most once per evaluation, and only
  /// when a body test runs. Without it those tests read the parsed message (its readable
  /// text, HTML and attachments).
  std::function<std::vector<body_part>()> body_parts;
};

/// One Sieve action in plain Sieve terms (comparable with sieve-test's "Performed actions").
struct action {
  std::string type;      ///< keep, fileinto, discard, redirect
  std::string argument;  ///< folder or address; empty for keep and discard
  int line = 0;
};

/// What helpdeskd does with the actions. Single-valued settings (category, owner, priority,
/// template) are decided by the FIRST command that sets them; tags accumulate.
struct decision {
  bool create_request = true;
  std::string category;  ///< from `category` or the first `fileinto`; empty: mailbox default
  std::string owner;     ///< from `assign`; empty: the category's assignment method
  std::string priority;  ///< empty: mailbox / config default
  std::vector<std::string> tags;
  bool ack = true;                 ///< false after `noack`
  std::string template_name;       ///< empty: config default
  std::string reason;              ///< why no request: "discarded by rules.sieve:12"
  std::vector<std::string> notes;  ///< settings that were ignored because already decided
};

/// One line of the trace: a test with its result, or an action that ran.
struct trace_entry {
  int line = 0;
  int column = 0;
  std::string kind;  ///< "test" or "action"
  std::string text;  ///< the test or command as written (whitespace collapsed, shortened)
  bool result = false;
  std::string detail;  ///< e.g. the value that matched
  int depth = 0;       ///< 0 for top level; children of allof/anyof/not and block contents deeper
};

struct outcome {
  std::vector<action> actions;
  bool implicit_keep = true;
  decision result;
  std::vector<trace_entry> trace;
};

/// Runs the script over one mail. Never fails: runtime problems (a regex built from variables
/// that does not compile) make the test false and are noted in the trace.
outcome evaluate(const script& s, const input& in);

}  // namespace hd::rules
