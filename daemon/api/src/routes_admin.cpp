// Admins' work on the quarantine from the web app and the API: show an entry, fetch its raw
// mail, reprocess it (the same code as `helpdeskd quarantine reprocess`), drop it.
#include "api_impl.hpp"
#include "hd/api/json.hpp"
#include "hd/intake/reprocess.hpp"
#include "hd/storage/quarantine.hpp"

#include <fmt/format.h>

namespace hd::daemon::api_detail {
namespace {

http::response show(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such quarantine entry");
  auto q = storage::show_quarantine(cx.db, *id);
  if (!q) return storage_failure(cx, q.error());
  return ok(to_json(*q));
}

// The mail as it came, to save and inspect: always a download, never shown by the browser.
http::response raw(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such quarantine entry");
  auto q = storage::show_quarantine(cx.db, *id);
  if (!q) return storage_failure(cx, q.error());
  if (q->purged) return fail(410, "purged", "the raw mail of this entry was purged");
  auto bytes = storage::quarantine_raw(cx.db, *id);
  if (!bytes) return storage_failure(cx, bytes.error());
  http::response r;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("Content-Disposition",
                         fmt::format("attachment; filename=\"quarantine-{}.eml\"", *id));
  r.body = std::move(*bytes);
  return r;
}

http::response reprocess(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such quarantine entry");
  auto done = reprocess_quarantined(intake_context{cx.cfg, cx.db}, *id, cx.who->login, cx.now);
  if (!done) return storage_failure(cx, done.error());
  if (cx.env.log)
    cx.env.log->info(
        "quarantine.reprocessed",
        {{"quarantine", *id}, {"result", *done->entry.resolution}, {"by", cx.who->login}});
  json j = to_json(done->entry);
  j["request"] = done->request ? json(*done->request) : json(nullptr);
  j["quarantined_again"] = done->result.status == intake_status::quarantined
                               ? json(done->result.quarantine_id)
                               : json(nullptr);
  return ok(j);
}

http::response drop(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such quarantine entry");
  http::response err;
  std::optional<json> b = body_object(cx, err);
  if (!b) return err;
  std::string note;
  bool purge = false;
  try {
    note = b->value("note", std::string());
    purge = b->value("purge", false);
  } catch (const json::exception&) {
    return fail(422, "invalid", "note is a string and purge a boolean");
  }
  auto q = storage::drop_quarantine(cx.db, *id, cx.who->login, note, purge, cx.now);
  if (!q) return storage_failure(cx, q.error());
  if (cx.env.log)
    cx.env.log->info("quarantine.dropped",
                     {{"quarantine", *id}, {"purged", q->purged}, {"by", cx.who->login}});
  return ok(to_json(*q));
}

}  // namespace

std::vector<route> admin_routes() {
  return {
      {{"GET", "/api/quarantine/{id}", access::admin}, show},
      {{"GET", "/api/quarantine/{id}/raw", access::admin}, raw},
      {{"POST", "/api/quarantine/{id}/reprocess", access::admin}, reprocess},
      {{"POST", "/api/quarantine/{id}/drop", access::admin}, drop},
  };
}

}  // namespace hd::daemon::api_detail
