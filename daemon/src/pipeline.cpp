#include "hd/daemon/pipeline.hpp"

#include "hd/mailparse/parser.hpp"

#include <fmt/format.h>

namespace hd::daemon {
namespace {

mailparse::limits parse_limits(const limits_config& l) {
  return {l.max_message_bytes, l.max_header_bytes, l.max_mime_depth, l.max_parts};
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

storage::routing default_routing(const config& cfg, const storage::mail_source& src) {
  storage::routing route;
  if (const mailbox_config* m = cfg.find_mailbox(src.mailbox)) {
    route.category = m->category;
    route.priority = m->priority;
  }
  if (route.priority.empty()) {
    for (const priority_config& p : cfg.priorities) {
      if (p.is_default) route.priority = p.name;
    }
  }
  return route;
}

}  // namespace

result<storage::store, storage::errc> open_store(const config& cfg) {
  storage::open_options opt;
  opt.synchronous_full = cfg.database.synchronous_full;
  opt.busy_timeout_ms = cfg.database.busy_timeout_ms;
  opt.tag_prefix = cfg.threading.tag_prefix;
  opt.reopen_within_days = cfg.threading.reopen_within_days;
  return storage::store::open(cfg.database.path, opt);
}

intake_result intake(const intake_context& cx, const storage::mail_source& src,
                     std::string_view raw, std::int64_t now) {
  const config& cfg = cx.cfg;
  storage::store& db = cx.db;
  auto parsed = mailparse::parse(raw, parse_limits(cfg.limits));
  if (!parsed) return quarantine(db, src, raw, parsed.error().message, now);
  if (!parsed->from)
    return quarantine(db, src, raw, "the message has no sender (From) address", now);
  storage::inbound in;
  in.source = src;
  in.raw = raw;
  in.parsed = &*parsed;
  in.route = default_routing(cfg, src);
  in.now = now;
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
  r.status = stored->kind == storage::ingest_kind::duplicate ? intake_status::duplicate
                                                             : intake_status::stored;
  return r;
}

}  // namespace hd::daemon
