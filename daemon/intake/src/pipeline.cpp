#include "hd/intake/pipeline.hpp"

#include "hd/intake/ack.hpp"
#include "hd/intake/redirect.hpp"
#include "hd/intake/routing.hpp"
#include "hd/storage/batch.hpp"
#include "hd/storage/directory.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace hd::daemon {
namespace {

// mailparse has no clock: the budget (limits.parse_budget_ms) comes in as a deadline check.
mailparse::limits parse_limits(const limits_config& l) {
  mailparse::limits lim = mailparse_limits(l);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(l.parse_budget_ms);
  lim.over_budget = [deadline] { return std::chrono::steady_clock::now() > deadline; };
  return lim;
}

bool over_budget(const parsed_message& m) {
  return std::find(m.defects.begin(), m.defects.end(), mailparse::k_budget_defect) !=
         m.defects.end();
}

intake_result quarantine(storage::store& db, const storage::mail_source& src, std::string_view raw,
                         std::string reason, std::int64_t now) {
  intake_result r;
  auto q = db.quarantine(src, raw, reason, now);
  if (!q) {
    r.status = intake_status::temp_failure;
    r.reason = q.error().message;
    return r;
  }
  r.status = intake_status::quarantined;
  r.quarantine_id = *q;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

std::vector<storage::webhook_subscription> webhook_subscriptions(const config& cfg) {
  std::vector<storage::webhook_subscription> out;
  for (const webhook_config& w : cfg.webhooks) {
    for (const std::string& e : w.events) out.push_back({w.name, e});
  }
  return out;
}

storage::open_options store_options(const config& cfg) {
  storage::open_options opt;
  opt.synchronous_full = cfg.database.synchronous_full;
  opt.busy_timeout_ms = cfg.database.busy_timeout_ms;
  opt.wal_autocheckpoint_pages = cfg.database.checkpoint_pages;
  opt.search_window_messages = cfg.database.search_window_messages;
  opt.search_candidates = cfg.database.search_candidates;
  opt.tag_prefix = cfg.threading.tag_prefix;
  opt.reopen_within_days = cfg.threading.reopen_within_days;
  opt.tag_in_body = cfg.threading.tag_in_body;
  return opt;
}

result<storage::store, storage::errc> open_store(const config& cfg) {
  auto s = storage::store::open(cfg.database.target(), store_options(cfg));
  if (!s) return s;
  // Users, categories and priorities follow the config at every start (and reload).
  if (auto synced = storage::sync_directory(*s, cfg); !synced) return synced.error();
  // So are the webhook subscriptions, which the schema's triggers read in every transaction.
  if (auto w = storage::set_webhook_subscriptions(*s, webhook_subscriptions(cfg)); !w)
    return w.error();
  return s;
}

intake_result quarantine_after_exception(storage::store& db, const storage::mail_source& src,
                                         std::string_view raw, std::string_view what,
                                         std::int64_t now) {
  try {
    return quarantine(db, src, raw, fmt::format("internal error while storing: {}", what), now);
  } catch (const std::exception& e) {
    intake_result r;
    r.status = intake_status::temp_failure;
    r.reason = fmt::format("internal error while storing: {}; then quarantining failed: {}", what,
                           e.what());
    return r;
  }
}

mailparse::limits mailparse_limits(const limits_config& l) {
  mailparse::limits lim;
  lim.max_message_bytes = l.max_message_bytes;
  lim.max_header_bytes = l.max_header_bytes;
  lim.max_mime_depth = l.max_mime_depth;
  lim.max_parts = l.max_parts;
  lim.max_header_field_bytes = l.max_header_field_bytes;
  lim.max_header_fields = l.max_header_fields;
  lim.max_params = l.max_params;
  return lim;
}

parse_result parse_for_intake(const config& cfg, std::string_view raw) {
  return mailparse::parse(raw, parse_limits(cfg.limits));
}

intake_result intake(const intake_context& cx, const storage::mail_source& src,
                     std::string_view raw, std::int64_t now) {
  try {
    return intake_parsed(cx, src, raw, parse_for_intake(cx.cfg, raw), now);
  } catch (const std::exception& e) {
    return quarantine_after_exception(cx.db, src, raw, e.what(), now);
  }
}

namespace {

intake_result temp_failure(std::string why) {
  intake_result r;
  r.status = intake_status::temp_failure;
  r.reason = std::move(why);
  return r;
}

// The rules kept no copy: the raw mail on record as a resolved quarantine entry, and the
// redirected copies (if any) queued without a request, in the caller's unit of work.
result<intake_result, storage::errc> discard(const redirect_input& redirects,
                                             const storage::mail_source& src,
                                             const std::string& reason) {
  storage::store& db = redirects.db;
  auto kept = storage::keep_discarded(db, src, redirects.raw, reason, redirects.now);
  if (!kept) return kept.error();
  intake_result r;
  r.status = intake_status::stored;
  r.discarded = true;
  r.quarantine_id = kept->id;
  r.reason = reason;
  // Kept before (the same UID or bytes): what it decided then is not done again.
  if (!kept->fresh || redirects.targets.empty()) return r;
  auto mails = redirect_discarded(redirects, r.reason);
  if (!mails) return mails.error();
  if (auto q = storage::queue_mails(db, 0, *mails, redirects.now); !q) return q.error();
  if (auto w = storage::set_discard_reason(db, kept->id, r.reason); !w) return w.error();
  return r;
}

// How a unit of work failed: retried later (temporary: the database, the rules file), or
// refused by storage as the mail is (quarantined after the rollback).
enum class unit_errc { temporary, refused };

error<unit_errc> temporary(const error<storage::errc>& e) {
  return {unit_errc::temporary, e.message};
}

// The unit of work itself, top to bottom: where the mail threads (asked once), the rules
// (given that), the write of the request and message, the acknowledgement and redirects
// decided on what was written, the mails queued, and the checkpoint (written by ingest) — all
// in one transaction (a savepoint inside an IMAP batch), committed at the end or not at all.
// Any error returns before the commit, and the unit rolls back as it goes out of scope.
result<intake_result, unit_errc> write_mail(const intake_context& cx,
                                            const storage::mail_source& src, std::string_view raw,
                                            const parsed_message& m, const reply_kit& kit,
                                            std::int64_t now, const language_guess& ahead,
                                            const storage::prepared_raw* raw_ahead) {
  const config& cfg = cx.cfg;
  storage::store& db = cx.db;
  auto unit = storage::write_batch::begin(db);
  if (!unit) return temporary(unit.error());
  auto thread = storage::thread_of(db, m, now);
  if (!thread) return temporary(thread.error());
  // Rules decide category, owner, priority, tags and ack; a broken rules file or a busy
  // database is a temporary failure, so the mail is retried rather than lost or bounced.
  auto routed = route_mail(cx, src, m, raw, *thread);
  if (!routed) return temporary(routed.error());
  redirect_input redirects = redirect_input_of(cx, src, m, raw, routed->redirects, now);
  intake_result r;
  if (!routed->create_request) {
    auto d = discard(redirects, src, routed->reason);
    if (!d) return temporary(d.error());
    r = std::move(*d);
  } else {
    storage::inbound in;
    in.source = src;
    in.raw = raw;
    in.prepared = raw_ahead;
    in.parsed = &m;
    in.route = routed->route;
    in.targets = &cfg.priorities;
    in.now = now;
    in.thread = *thread;
    auto stored = db.ingest(in);
    if (!stored) {
      bool refused = stored.error().code == storage::errc::invalid;
      return fail(refused ? unit_errc::refused : unit_errc::temporary, stored.error().message);
    }
    // The acknowledgement (ack.cpp, docs/replies.md) and the redirects, decided on the stored
    // request and queued with it: the transactional outbox.
    ack_input a{cfg,  db,
                kit,  m,
                raw,  src.mailbox,
                now,  {routed->ack, routed->ack ? "" : "a rule said noack", routed->template_name},
                ahead};
    auto acked = acknowledge(a, *stored);
    if (!acked) return temporary(acked.error());
    auto copies = redirect_mails(redirects, *stored);
    if (!copies) return temporary(copies.error());
    std::vector<storage::outgoing_mail> mails = std::move(acked->mails);
    for (storage::outgoing_mail& c : *copies) mails.push_back(std::move(c));
    if (!mails.empty()) {
      if (auto q = storage::queue_mails(db, stored->request_id, mails, now); !q)
        return temporary(q.error());
    }
    // Due times from the priority's targets (only requests without them are touched; an index
    // finds them), with the mail: a request never waits for its deadlines.
    if (stored->kind != storage::ingest_kind::duplicate) {
      if (auto d = storage::apply_deadlines(db, cfg.priorities); !d) return temporary(d.error());
    }
    r.outcome = *stored;
    r.ack_suppressed = acked->note.suppressed;
    r.ack_problem = acked->note.problem;
    r.status = stored->kind == storage::ingest_kind::duplicate ? intake_status::duplicate
                                                               : intake_status::stored;
  }
  if (auto c = unit->commit(); !c) return temporary(c.error());
  return r;
}

}  // namespace

// One mail: parse problems are quarantined up front, then one unit of work (write_mail). No
// storage verb calls back into the intake. A storage error anywhere rolls the whole mail back
// and is a temporary failure (retried); a mail that storage finds invalid is quarantined after
// the rollback.
intake_result intake_parsed(const intake_context& cx, const storage::mail_source& src,
                            std::string_view raw, parse_result parsed, std::int64_t now,
                            const language_guess* ahead, const storage::prepared_raw* raw_ahead) {
  storage::store& db = cx.db;
  if (!parsed) return quarantine(db, src, raw, parsed.error().message, now);
  // Half-read mail is not made a request: it is kept whole for `quarantine reprocess`.
  if (over_budget(*parsed))
    return quarantine(db, src, raw, std::string(mailparse::k_budget_defect), now);
  if (!parsed->from)
    return quarantine(db, src, raw, "the message has no sender (From) address", now);
  std::shared_ptr<const reply_kit> kit = cx.replies ? cx.replies : reply_kit_for(cx.cfg);
  auto written =
      write_mail(cx, src, raw, *parsed, *kit, now, ahead ? *ahead : language_guess{}, raw_ahead);
  if (written) return std::move(*written);
  if (written.error().code == unit_errc::refused)
    return quarantine(db, src, raw, written.error().message, now);
  return temp_failure(written.error().message);
}

}  // namespace hd::daemon
