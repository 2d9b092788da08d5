#pragma once
// The intake pipeline shared by pipe mode (`helpdeskd ingest`) and IMAP intake:
// size check -> parse -> route -> store (one transaction). Quarantines what cannot become a
// request, so the raw mail is always kept.

#include "hd/common/config.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/rules/script.hpp"
#include "hd/storage/store.hpp"
#include "hd/storage/webhooks.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::daemon {

enum class intake_status {
  stored,        ///< a new request, or a message appended to one
  duplicate,     ///< seen before; nothing written
  quarantined,   ///< kept raw with a reason; no request
  temp_failure,  ///< nothing written (database busy, disk full ...): try again later
};

struct intake_result {
  intake_status status = intake_status::stored;
  storage::ingest_outcome outcome;  ///< for stored and duplicate
  std::int64_t quarantine_id = 0;   ///< for quarantined
  std::string reason;               ///< why it was quarantined or failed
  /// The rules discarded it (status stored, no request; outcome.request_id 0): the raw mail is
  /// kept as resolved quarantine entry `quarantine_id`, `reason` names the rule's file:line.
  bool discarded = false;
  /// Why no acknowledgement was sent for this mail (empty: sent, or none wanted); `ack_problem`
  /// when the cause is ours (a missing template), so callers log it as a warning.
  std::string ack_suppressed;
  bool ack_problem = false;
};

struct reply_kit;  // hd/daemon/ack.hpp

/// What the pipeline needs besides the mail itself; built once at start (and on reload).
/// Steps that need more (compiled rules, loaded templates) add a field here with a default,
/// so callers that do not set it keep working.
struct intake_context {
  const config& cfg;
  storage::store& db;
  /// Compiled rules (see load_rules in routing.hpp); null: compiled from cfg.rules.file for
  /// each mail (fine for pipe mode), or no rules when that is empty.
  std::shared_ptr<const rules::script> rules = nullptr;
  /// Envelope from pipe-mode arguments; nullopt: from Return-Path / Delivered-To.
  std::optional<rules::envelope> envelope = std::nullopt;
  /// Loaded reply templates and language detector (reply_kit_for in ack.hpp); null: loaded
  /// from cfg.outgoing.templates_dir for each mail (fine for pipe mode).
  std::shared_ptr<const reply_kit> replies = nullptr;
};

/// Runs one raw mail through the pipeline. `now` is seconds since the epoch. Never throws for
/// a mail: an exception while storing it quarantines it (quarantine_after_exception).
intake_result intake(const intake_context& cx, const storage::mail_source& src,
                     std::string_view raw, std::int64_t now);

/// The parse step alone, with the config's limits and parse budget: pure (no database), so
/// IMAP intake runs it on a second thread ahead of the storage worker (mailbox_batch.cpp).
using parse_result = result<parsed_message, mailparse::errc>;
parse_result parse_for_intake(const config& cfg, std::string_view raw);

/// The parser's limits from the config's [limits] (without the time budget, which
/// parse_for_intake adds): the one place the two are mapped, so `rules test` parses as
/// intake does.
mailparse::limits mailparse_limits(const limits_config& l);

struct language_guess;  // hd/intake/ack.hpp

/// The rest of the pipeline for a mail parse_for_intake has read; AHEAD (may be null) is its
/// language when detected on the parser thread, RAW_AHEAD (may be null) storage::prepare_raw
/// of RAW worked out there.
intake_result intake_parsed(const intake_context& cx, const storage::mail_source& src,
                            std::string_view raw, parse_result parsed, std::int64_t now,
                            const language_guess* ahead = nullptr,
                            const storage::prepared_raw* raw_ahead = nullptr);

/// For a mail whose storing threw (a bug): keeps RAW in quarantine with the exception's text
/// WHAT as the reason (the checkpoint moves past it); temp_failure if even that fails.
intake_result quarantine_after_exception(storage::store& db, const storage::mail_source& src,
                                         std::string_view raw, std::string_view what,
                                         std::int64_t now);

/// Opens the database named by the config with its options (and migrates it).
result<storage::store, storage::errc> open_store(const config& cfg);
/// The store settings CFG asks for (what open_store uses).
storage::open_options store_options(const config& cfg);
/// The [[webhook]] tables as the storage's subscription rows (endpoint, event).
std::vector<storage::webhook_subscription> webhook_subscriptions(const config& cfg);

}  // namespace hd::daemon
