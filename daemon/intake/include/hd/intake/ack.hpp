#pragma once
// The automatic acknowledgement: when to send one (RFC 3834 and the hard-won rules of every
// helpdesk that ever looped with an out-of-office), in which language, and the mail itself.
// The hook runs inside the ingest transaction, so the acknowledgement is queued in the outbox
// atomically with the request it acknowledges. See docs/replies.md.

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/common/message.hpp"
#include "hd/intake/language.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/store.hpp"
#include "hd/templates/template.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hd::daemon {

/// What replies need that is loaded once: the templates and the language detector.
struct reply_kit {
  templates::library templates;
  std::shared_ptr<const language_detector> detector;  ///< may be null: no detection
  std::vector<std::string> problems;  ///< templates that could not be loaded, and why
  /// What `detector` was built from, so another thread can build its own (a libexttextcat
  /// handle is not safe to share): language_detector::open(detector_languages, fingerprint_dir).
  std::vector<std::string> detector_languages;
  std::string fingerprint_dir;
};

/// A language detected before the mail reaches the storage worker (IMAP intake detects on its
/// parser thread, mailbox_batch.cpp): `done` when it was tried, `language` what it found.
struct language_guess {
  bool done = false;
  std::optional<std::string> language;
};

/// The text detection reads: the subject and the start of the new text (quotes dropped).
std::string language_sample(const parsed_message& m);

/// The template variables of the request FACTS for a mail in LANGUAGE (the agent's fields
/// empty): what acknowledgements and `requests reply --template` render with.
templates::reply_vars reply_vars_of(const config& cfg, const storage::reply_facts& facts,
                                    const std::string& language);

/// The language replies from MAILBOX default to: its `language`, else [outgoing]
/// default_language.
std::string mailbox_language(const config& cfg, const std::string& mailbox);

/// Reads DIR/<name>/<language>.mustache for every template (I/O; the parsing is pure) and
/// opens the language detector for the languages found. Never fails: what cannot be loaded is
/// listed in `problems` (a missing directory is one problem).
reply_kit load_reply_kit(const std::string& templates_dir,
                         const std::string& fingerprint_dir = default_fingerprint_dir);

/// The kit for CFG: load_reply_kit(cfg.outgoing.templates_dir) when acknowledgements are
/// enabled, else an empty kit (nothing read).
std::shared_ptr<const reply_kit> reply_kit_for(const config& cfg);

/// What is wrong with the template names CFG refers to ([ack] template, when acknowledgements
/// are enabled), given the templates of KIT: each problem names the setting, the config file,
/// the templates that exist and the nearest one. Empty when every name is found. `config
/// check`, `templates check` and `rules check` report these, so a typo cannot silently stop
/// every acknowledgement.
std::vector<std::string> template_reference_problems(const config& cfg, const reply_kit& kit);

/// Our own addresses, lower-cased: [outgoing] from_address and every mailbox's address.
std::vector<std::string> our_addresses(const config& cfg);

/// Why an automatic reply to M must not be sent (an auto-reply, a list, a bounce, a robot, our
/// own mail coming back), or nullopt when one may be sent. Only looks at the mail itself (RAW
/// for its top-level Content-Type).
std::optional<std::string> auto_reply_block(const parsed_message& m, std::string_view raw,
                                            const config& cfg);

/// One hard bounce reported by a delivery status notification.
struct bounce {
  std::string address;  ///< lower-case Final-Recipient
  std::string status;   ///< e.g. "5.1.1"
  std::string diagnostic;
};

/// The permanently failed recipients of a DSN (RFC 3464: multipart/report with a
/// message/delivery-status part, Action: failed, Status 5.x.x). Empty for any other mail.
std::vector<bounce> hard_bounces(const parsed_message& m);

/// The language to answer in: the person's if known, else the mail's Content-Language, else
/// detected from its text, else the mailbox default. `remember` says whether it was learned
/// from this mail (and should be stored on the person).
struct language_choice {
  std::string language;
  std::string source;  ///< person, content-language, detected, default
  bool remember = false;
};
/// AHEAD, when done, stands in for running DETECTOR on the mail (the same answer, found on
/// another thread).
language_choice choose_language(const std::optional<std::string>& person_language,
                                std::string_view content_language, const parsed_message& m,
                                const language_detector* detector,
                                const std::string& mailbox_default,
                                const language_guess& ahead = {});

/// The unfolded value of the first top-level header NAME in RAW (case-insensitive), or empty.
/// For MIME headers (Content-Language, Content-Type) the parser keeps with the body part.
std::string raw_header(std::string_view raw, std::string_view name);

/// What the rules decided about acknowledging (defaults: acknowledge with [ack] template).
struct ack_decision {
  bool allowed = true;        ///< false after a rule's `noack`
  std::string reason;         ///< why not, for the request's event ("noack by rules.sieve:3")
  std::string template_name;  ///< empty: [ack] template
};

enum class reply_errc {
  no_template,  ///< no template of that name (in any language)
  bad_address,  ///< the recipient (or our sender) is not a plain addr-spec: never sent
};

/// Renders and composes an automatic reply for FACTS with template NAME in LANGUAGE (or the
/// best language available), From the mailbox's address. UNIQUE makes the Message-ID unique.
/// Errors are messages a person can act on (no such template, unusable recipient address).
result<storage::outgoing_mail, reply_errc> build_reply(const config& cfg, const reply_kit& kit,
                                                       const storage::reply_facts& facts,
                                                       const std::string& name,
                                                       const std::string& language,
                                                       const parsed_message* inbound,
                                                       std::int64_t now, const std::string& unique);

/// Why the acknowledgement of one mail was not sent, for the log (the request's event says
/// the same). `problem` marks a fault of ours (no such template, unusable address) rather than
/// a mail that must not be answered (a robot, a rule's noack, the rate limit).
struct ack_note {
  std::string suppressed;  ///< empty: sent, or not wanted at all ([ack] enabled = false)
  bool problem = false;
};

/// What acknowledge needs about one stored mail; every referenced value must outlive the call.
struct ack_input {
  const config& cfg;
  storage::store& db;
  const reply_kit& kit;
  const parsed_message& m;
  std::string_view raw;
  std::string mailbox;
  std::int64_t now = 0;
  ack_decision rules;    ///< what the rules said (noack, template)
  language_guess ahead;  ///< the mail's language, when detected ahead of storing
};

/// The acknowledgement of one mail: the mail to queue (none or one), and why none was sent.
struct ack_result {
  std::vector<storage::outgoing_mail> mails;
  ack_note note;
};

/// Decides the acknowledgement of the mail IN.m, stored as O, inside the intake's unit of work
/// (pipeline.cpp): records hard bounces (suppressions and `bounce` events), then either
/// renders the acknowledgement (an `ack_queued` event, the auto-reply log, the person's
/// language when learned from this mail) or records why not (an `ack_suppressed` event, and
/// ack_result::note for the log). The caller queues what it returns (storage::queue_mails).
/// Fails closed: a suppression list or rate-limit count that cannot be read suppresses the
/// acknowledgement; a write that fails is returned as the error, so the unit rolls back and
/// the mail is retried. Nothing for a duplicate.
result<ack_result, storage::errc> acknowledge(const ack_input& in,
                                              const storage::ingest_outcome& o);

}  // namespace hd::daemon
