// The quarantine's verbs (store::quarantine itself, which adds entries, is in queries.cpp).
#include "hd/storage/quarantine.hpp"

#include "raw_codec.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

constexpr const char* entry_select = R"(
    SELECT q.id, q.reason, q.created_at, q.resolved_at, q.resolution, r.id, r.size, r.sha256,
           CASE WHEN r.encoding = 0 THEN length(r.bytes) < r.size ELSE length(r.bytes) = 0 END,
           r.mailbox, r.folder, r.uidvalidity, r.uid
    FROM quarantine q JOIN raw_messages r ON r.id = q.raw_id
    WHERE (CAST(?1 AS BIGINT) IS NULL OR q.id = ?1) AND (?2 = 1 OR q.resolved_at IS NULL)
    ORDER BY q.id)";

std::vector<quarantine_entry> read_entries(const sql::connection& db,
                                           std::optional<std::int64_t> id, bool all) {
  sql::statement st(db, entry_select);
  st.bind(1, id).bind(2, all ? 1 : 0);
  std::vector<quarantine_entry> out;
  while (st.step()) {
    quarantine_entry e;
    e.id = st.integer(0);
    e.reason = st.text(1);
    e.created_at = st.integer(2);
    e.resolved_at = st.opt_integer(3);
    e.resolution = st.opt_text(4);
    e.raw_id = st.integer(5);
    e.size = st.integer(6);
    e.sha256 = st.text(7);
    e.purged = st.integer(8) != 0;
    e.source = mail_source{st.text(9), st.opt_text(10), st.opt_integer(11), st.opt_integer(12)};
    out.push_back(std::move(e));
  }
  return out;
}

result<quarantine_entry, errc> one(const sql::connection& db, std::int64_t id) {
  auto rows = read_entries(db, id, true);
  if (rows.empty()) return fail(errc::not_found, fmt::format("no quarantine entry {}", id));
  return std::move(rows.front());
}

void record(const sql::connection& db, std::int64_t id, std::string_view resolution,
            std::string_view actor, std::optional<std::int64_t> request, std::int64_t now) {
  sql::statement st(db, "UPDATE quarantine SET resolved_at = ?2, resolution = ?3 WHERE id = ?1");
  st.bind(1, id).bind(2, now).bind(3, resolution).run();
  sql::statement ev(db,
                    "INSERT INTO events (request_id, at, actor, kind, detail) "
                    "VALUES (?1, ?2, ?3, 'quarantine.resolved', ?4)");
  ev.bind(1, request).bind(2, now).bind(3, actor);
  ev.bind(4, fmt::format("quarantine {}: {}", id, resolution)).run();
}

}  // namespace

result<std::vector<quarantine_entry>, errc> list_quarantine(store& s, bool include_resolved) {
  return guarded([&]() -> result<std::vector<quarantine_entry>, errc> {
    return read_entries(connection_of(s), std::nullopt, include_resolved);
  });
}

result<quarantine_entry, errc> show_quarantine(store& s, std::int64_t id) {
  return guarded([&]() -> result<quarantine_entry, errc> { return one(connection_of(s), id); });
}

result<std::string, errc> quarantine_raw(store& s, std::int64_t id) {
  return guarded([&]() -> result<std::string, errc> {
    sql::statement st(connection_of(s),
                      "SELECT r.bytes, r.encoding, r.size FROM quarantine q "
                      "JOIN raw_messages r ON r.id = q.raw_id WHERE q.id = ?1");
    st.bind(1, id);
    if (!st.step()) return fail(errc::not_found, fmt::format("no quarantine entry {}", id));
    std::string bytes = st.text(0);
    if (bytes.empty()) return bytes;  // purged
    return decode_raw(bytes, st.integer(1), st.integer(2));
  });
}

result<quarantine_entry, errc> resolve_quarantine(store& s, std::int64_t id,
                                                  std::string_view resolution,
                                                  std::string_view actor,
                                                  std::optional<std::int64_t> request,
                                                  std::int64_t now) {
  return guarded([&]() -> result<quarantine_entry, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    auto e = one(db, id);
    if (!e) return e.error();
    if (e->resolved_at) {
      return fail(errc::invalid,
                  fmt::format("quarantine entry {} is already resolved ({})", id, *e->resolution));
    }
    record(db, id, resolution, actor, request, now);
    auto after = one(db, id);
    tx.commit();
    return after;
  });
}

result<quarantine_entry, errc> drop_quarantine(store& s, std::int64_t id, std::string_view actor,
                                               std::string_view note, bool purge,
                                               std::int64_t now) {
  return guarded([&]() -> result<quarantine_entry, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    auto e = one(db, id);
    if (!e) return e.error();
    bool dropped = e->resolution && e->resolution->starts_with("dropped");
    if (e->resolved_at && !(purge && dropped)) {
      return fail(errc::invalid,
                  fmt::format("quarantine entry {} is already resolved ({})", id, *e->resolution));
    }
    std::string resolution = purge ? "dropped, raw bytes purged" : "dropped";
    if (!note.empty()) resolution += fmt::format(": {}", note);
    if (purge) {
      sql::statement st(db, "UPDATE raw_messages SET bytes = ?2 WHERE id = ?1");
      st.bind(1, e->raw_id).bind_blob(2, std::string_view()).run();  // no bytes
    }
    if (e->resolved_at) {
      sql::statement st(db, "UPDATE quarantine SET resolved_at = NULL WHERE id = ?1");
      st.bind(1, id).run();
    }
    record(db, id, resolution, actor, std::nullopt, now);
    auto after = one(db, id);
    tx.commit();
    return after;
  });
}

}  // namespace hd::storage
