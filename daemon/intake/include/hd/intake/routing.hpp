#pragma once
// Routing: the compiled Sieve rules applied to one parsed mail, turned into what storage
// needs (category, owner, priority, tags) and what the ack step needs (ack, template).
// Also loads and compiles the rules file named by the config (used at start and on reload).

#include "hd/common/config.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/rules/script.hpp"
#include "hd/storage/store.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hd::daemon {

/// The names a script may use, from CFG: categories, users, priorities, and the templates
/// found in outgoing.templates_dir (a directory per template, or NAME.* files). Templates are
/// left unchecked when that directory cannot be read.
rules::known_names known_names_of(const config& cfg);

/// Reads and compiles the rules file of CFG ([rules] file) with its limits and names. An
/// empty `file` gives a null pointer (no rules). Errors are values: errc::invalid with every
/// problem as "FILE:LINE:COLUMN: message" lines, errc::too_large, or errc::cannot_read.
/// For SIGHUP reload: compile the new config's rules, and keep the old ones on error.
result<std::shared_ptr<const rules::script>, rules::errc> load_rules(const config& cfg);

/// The envelope of a mail: OVERRIDE when given (pipe-mode arguments), else sender from
/// Return-Path and recipients from Delivered-To (falling back to To and Cc).
rules::envelope envelope_of(const parsed_message& m, const std::optional<rules::envelope>& over);

/// What routing decided for one mail.
struct routed {
  storage::routing route;
  bool create_request = true;
  std::string reason;  ///< why no request ("discarded by rules.sieve:12")
  bool ack = true;
  std::string template_name;           ///< empty: the configured default
  std::vector<std::string> redirects;  ///< addresses the rules redirected to
  bool followup = false;
  rules::outcome outcome;  ///< the full evaluation (actions and decision; no trace)
};

/// Routes one parsed mail, given where it threads (THREAD, from
/// storage::thread_of: the rules' `followup` test): evaluates cx.rules (or the config's
/// rules file when cx.rules is null), fills mailbox and config defaults for what the rules left
/// open, and for a new request without an owner applies the category's assignment method. Errors:
/// storage failures (temporary), or a rules file that does not compile (as storage::errc::invalid
/// with the compiler's message).
result<routed, storage::errc> route_mail(const intake_context& cx, const storage::mail_source& src,
                                         const parsed_message& m, std::string_view raw,
                                         const storage::thread_found& thread);

}  // namespace hd::daemon
