#include "hd/intake/pipeline.hpp"

#include "hd/intake/ack.hpp"
#include "hd/intake/redirect.hpp"
#include "hd/intake/routing.hpp"
#include "hd/storage/directory.hpp"
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
  opt.tag_prefix = cfg.threading.tag_prefix;
  opt.reopen_within_days = cfg.threading.reopen_within_days;
  opt.tag_in_body = cfg.threading.tag_in_body;
  return opt;
}

result<storage::store, storage::errc> open_store(const config& cfg) {
  auto s = storage::store::open(cfg.database.path, store_options(cfg));
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

intake_result intake_parsed(const intake_context& cx, const storage::mail_source& src,
                            std::string_view raw, parse_result parsed, std::int64_t now) {
  const config& cfg = cx.cfg;
  storage::store& db = cx.db;
  if (!parsed) return quarantine(db, src, raw, parsed.error().message, now);
  // Half-read mail is not made a request: it is kept whole for `quarantine reprocess`.
  if (over_budget(*parsed))
    return quarantine(db, src, raw, std::string(mailparse::k_budget_defect), now);
  if (!parsed->from)
    return quarantine(db, src, raw, "the message has no sender (From) address", now);
  // Rules decide category, owner, priority, tags and ack; a broken rules file or a busy
  // database is a temporary failure, so the mail is retried rather than lost or bounced.
  auto routed = route_mail(cx, src, *parsed, raw, now);
  if (!routed) {
    intake_result failed;
    failed.status = intake_status::temp_failure;
    failed.reason = routed.error().message;
    return failed;
  }
  if (!routed->create_request) {
    return discard_mail(
        db, src, raw, routed->reason, now,
        redirects_for_discarded(redirect_input_of(cx, src, *parsed, raw, routed->redirects, now)));
  }
  storage::inbound in;
  in.source = src;
  in.raw = raw;
  in.parsed = &*parsed;
  in.route = routed->route;
  in.now = now;
  // The acknowledgement is queued in the ingest transaction (ack.cpp, docs/replies.md).
  std::shared_ptr<const reply_kit> kit = cx.replies ? cx.replies : reply_kit_for(cfg);
  auto note = std::make_shared<ack_note>();
  in.outgoing = with_redirects(
      make_ack_hook(cfg, db, *kit, src, *parsed, raw, now,
                    {routed->ack, routed->ack ? "" : "a rule said noack", routed->template_name},
                    note),
      redirect_input_of(cx, src, *parsed, raw, routed->redirects, now));
  auto stored = db.ingest(in);
  intake_result r;
  if (!stored) {
    if (stored.error().code == storage::errc::invalid)
      return quarantine(db, src, raw, stored.error().message, now);
    r.status = intake_status::temp_failure;
    r.reason = stored.error().message;
    return r;
  }
  r.outcome = *stored;
  r.ack_suppressed = note->suppressed;
  r.ack_problem = note->problem;
  r.status = stored->kind == storage::ingest_kind::duplicate ? intake_status::duplicate
                                                             : intake_status::stored;
  // Due times from the priority's targets. Only requests without them are touched (an index
  // finds them); should this fail, the views apply them later.
  (void)storage::apply_deadlines(db, cfg.priorities);
  return r;
}

}  // namespace hd::daemon
