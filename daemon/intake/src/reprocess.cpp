#include "hd/intake/reprocess.hpp"

#include <fmt/format.h>

namespace hd::daemon {
namespace {

// What became of the mail, as the entry's resolution.
std::string resolution_of(const intake_result& r) {
  switch (r.status) {
    case intake_status::stored:
      return fmt::format("reprocessed: request {} ({})", r.outcome.request_id,
                         r.outcome.kind == storage::ingest_kind::created ? "created" : "appended");
    case intake_status::duplicate:
      return fmt::format("reprocessed: duplicate of mail in request {}", r.outcome.request_id);
    case intake_status::quarantined:
      return fmt::format("reprocessed: quarantined again as {} ({})", r.quarantine_id, r.reason);
    case intake_status::temp_failure:
      break;
  }
  return {};
}

}  // namespace

result<reprocessed, storage::errc> reprocess_quarantined(const intake_context& cx, std::int64_t id,
                                                         std::string_view actor, std::int64_t now) {
  using storage::errc;
  auto q = storage::show_quarantine(cx.db, id);
  if (!q) return q.error();
  if (q->resolved_at)
    return error<errc>{errc::invalid, fmt::format("quarantine entry {} is already resolved ({})",
                                                  id, q->resolution.value_or(""))};
  if (q->purged)
    return error<errc>{errc::invalid, fmt::format("quarantine entry {} was purged", id)};
  auto raw = storage::quarantine_raw(cx.db, id);
  if (!raw) return raw.error();
  // Without the UID: the quarantined copy already holds that mailbox position.
  storage::mail_source src{q->source.mailbox, q->source.folder, std::nullopt, std::nullopt};
  intake_result r = intake(cx, src, *raw, now);
  if (r.status == intake_status::temp_failure) return error<errc>{errc::busy, r.reason};
  std::optional<std::int64_t> request;
  if (r.status != intake_status::quarantined) request = r.outcome.request_id;
  auto done = storage::resolve_quarantine(cx.db, id, resolution_of(r), actor, request, now);
  if (!done) return done.error();
  return reprocessed{*done, std::move(r), request};
}

}  // namespace hd::daemon
