// Read-side verbs on one request: show, attachments; and row counts.
#include "hd/storage/requests.hpp"

#include "raw_codec.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

std::vector<std::int64_t> ids(const sql::connection& db, const char* sql_text, std::int64_t id) {
  sql::statement st(db, sql_text);
  st.bind(1, id);
  std::vector<std::int64_t> out;
  while (st.step()) out.push_back(st.integer(0));
  return out;
}

std::vector<std::string> texts(const sql::connection& db, const char* sql_text, std::int64_t id) {
  sql::statement st(db, sql_text);
  st.bind(1, id);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

attachment_info read_attachment(const sql::statement& st) {
  attachment_info a;
  a.message_id = st.integer(0);
  a.position = static_cast<int>(st.integer(1));
  a.filename = st.text(2);
  a.content_type = st.text(3);
  a.disposition = st.text(4);
  a.content_id = st.opt_text(5);
  a.sha256 = st.text(6);
  a.size = st.integer(7);
  return a;
}

constexpr const char* attachment_columns =
    R"(SELECT ma.message_id, ma.position, ma.filename, ma.content_type, ma.disposition,
              ma.content_id, ma.sha256, a.size, CASE WHEN ?3 <> 0 THEN a.data END
       FROM message_attachments ma JOIN attachments a ON a.sha256 = ma.sha256
       JOIN messages m ON m.id = ma.message_id
       WHERE m.request_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR m.id = ?2)
       ORDER BY ma.message_id, ma.position)";

void read_addresses(const sql::connection& db, message_detail& m) {
  sql::statement st(db,
                    "SELECT role, name, address FROM message_addresses WHERE message_id = ?1 "
                    "ORDER BY role DESC, position");
  st.bind(1, m.id);
  while (st.step()) (st.text(0) == "to" ? m.to : m.cc).push_back(address{st.text(1), st.text(2)});
}

std::vector<message_detail> read_messages(const sql::connection& db, std::int64_t request_id) {
  sql::statement st(db, R"(SELECT m.id, m.direction, m.message_id, m.from_address, m.from_name,
                                  m.subject, hd_text(m.body_text), hd_text(m.body_html), m.sent_at, m.created_at,
                                  COALESCE(u.login, ''), m.flagged
                           FROM messages m LEFT JOIN users u ON u.id = m.author_id
                           WHERE m.request_id = ?1 ORDER BY m.id)");
  st.bind(1, request_id);
  std::vector<message_detail> out;
  while (st.step()) {
    message_detail m;
    m.id = st.integer(0);
    m.direction = st.text(1);
    m.message_id = st.opt_text(2);
    m.from_address = st.text(3);
    m.from_name = st.text(4);
    m.subject = st.text(5);
    m.body_text = st.text(6);
    m.body_html = st.opt_text(7);
    m.sent_at = st.opt_integer(8);
    m.created_at = st.integer(9);
    m.author = st.text(10);
    m.flagged = st.integer(11) != 0;
    out.push_back(std::move(m));
  }
  sql::statement att(db, attachment_columns);
  att.bind(1, request_id).bind_null(2).bind(3, 0);
  while (att.step()) {
    attachment_info a = read_attachment(att);
    for (message_detail& m : out) {
      if (m.id == a.message_id) m.attachments.push_back(a);
    }
  }
  sql::statement defects(db, R"(SELECT d.message_id, d.defect FROM message_defects d
                                JOIN messages m ON m.id = d.message_id
                                WHERE m.request_id = ?1 ORDER BY d.message_id, d.position)");
  defects.bind(1, request_id);
  while (defects.step()) {
    for (message_detail& m : out)
      if (m.id == defects.integer(0)) m.defects.push_back(defects.text(1));
  }
  for (message_detail& m : out) read_addresses(db, m);
  return out;
}

std::vector<event_info> read_events(const sql::connection& db, std::int64_t request_id) {
  sql::statement st(
      db, "SELECT id, at, actor, kind, detail FROM events WHERE request_id = ?1 ORDER BY id");
  st.bind(1, request_id);
  std::vector<event_info> out;
  while (st.step()) {
    out.push_back({st.integer(0), st.integer(1), st.text(2), st.text(3), st.text(4)});
  }
  return out;
}

void read_request_row(const sql::connection& db, request_detail& d) {
  sql::statement st(db, R"(SELECT r.closed_at, r.postponed_until, r.merged_into, r.linked_to,
                                  p.company_id, r.first_response_due, r.resolution_due
                           FROM requests r LEFT JOIN persons p ON p.id = r.person_id
                           WHERE r.id = ?1)");
  st.bind(1, d.summary.id);
  if (!st.step()) return;
  d.closed_at = st.opt_integer(0);
  d.postponed_until = st.opt_integer(1);
  d.merged_into = st.opt_integer(2);
  d.linked_to = st.opt_integer(3);
  d.company_id = st.opt_integer(4);
  d.first_response_due = st.opt_integer(5);
  d.resolution_due = st.opt_integer(6);
}

}  // namespace

result<std::map<std::int64_t, std::vector<std::string>>, errc> tags_of(
    store& s, const std::vector<std::int64_t>& requests) {
  return guarded([&]() -> result<std::map<std::int64_t, std::vector<std::string>>, errc> {
    std::map<std::int64_t, std::vector<std::string>> out;
    if (requests.empty()) return out;
    std::string list = "[";
    for (std::int64_t id : requests) list += (list.size() > 1 ? "," : "") + std::to_string(id);
    list += "]";
    // One statement for any number of ids: a JSON array (SQLite) or an array literal.
    const sql::connection& db = connection_of(s);
    sql::statement st(db, db.pick("SELECT request_id, tag FROM request_tags WHERE request_id IN "
                                  "(SELECT value FROM json_each(?1)) ORDER BY request_id, tag",
                                  "SELECT request_id, tag FROM request_tags WHERE request_id = "
                                  "ANY(CAST(?1 AS BIGINT[])) ORDER BY request_id, tag"));
    if (db.postgres()) list = "{" + list.substr(1, list.size() - 2) + "}";
    st.bind(1, list);
    while (st.step()) out[st.integer(0)].push_back(st.text(1));
    return out;
  });
}

result<request_detail, errc> show_request(store& s, std::int64_t id) {
  return guarded([&]() -> result<request_detail, errc> {
    const sql::connection& db = connection_of(s);
    request_filter all;
    all.limit = 1;
    auto rows = read_summaries(db, all, summary_scope{id, std::nullopt, std::nullopt});
    if (rows.empty()) return fail(errc::not_found, fmt::format("no request {}", id));
    request_detail d;
    d.summary = std::move(rows.front());
    read_request_row(db, d);
    d.follow_ups = ids(db, "SELECT id FROM requests WHERE linked_to = ?1 ORDER BY id", id);
    d.tags = texts(db, "SELECT tag FROM request_tags WHERE request_id = ?1 ORDER BY tag", id);
    d.person_addresses = texts(
        db,
        "SELECT a.address FROM person_addresses a JOIN requests r ON r.person_id = a.person_id "
        "WHERE r.id = ?1 ORDER BY a.rowid",
        id);
    d.messages = read_messages(db, id);
    d.events = read_events(db, id);
    return d;
  });
}

result<std::vector<attachment_data>, errc> request_attachments(
    store& s, std::int64_t id, std::optional<std::int64_t> message_id) {
  return guarded([&]() -> result<std::vector<attachment_data>, errc> {
    const sql::connection& db = connection_of(s);
    sql::statement exists(
        db,
        "SELECT 1 FROM requests r WHERE r.id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR EXISTS "
        "(SELECT 1 FROM messages m WHERE m.id = ?2 AND m.request_id = r.id))");
    exists.bind(1, id).bind(2, message_id);
    if (!exists.step()) {
      return fail(errc::not_found,
                  message_id ? fmt::format("request {} has no message {}", id, *message_id)
                             : fmt::format("no request {}", id));
    }
    sql::statement st(db, attachment_columns);
    st.bind(1, id).bind(2, message_id).bind(3, 1);
    std::vector<attachment_data> out;
    while (st.step()) out.push_back({read_attachment(st), st.text(8)});
    return out;
  });
}

result<std::string, errc> message_raw(store& s, std::int64_t message_id) {
  return guarded([&]() -> result<std::string, errc> {
    sql::statement st(connection_of(s), R"(SELECT r.bytes, r.encoding, r.size
                                             FROM messages m JOIN raw_messages r ON r.id = m.raw_id
                                            WHERE m.id = ?1)");
    st.bind(1, message_id);
    if (!st.step()) {
      return fail(errc::not_found, fmt::format("message {} has no raw mail", message_id));
    }
    return decode_raw(st.text(0), st.integer(1), st.integer(2));
  });
}

result<std::vector<std::pair<std::string, std::int64_t>>, errc> row_counts(store& s) {
  return guarded([&]() -> result<std::vector<std::pair<std::string, std::int64_t>>, errc> {
    const sql::connection& db = connection_of(s);
    std::vector<std::string> names;
    sql::statement list(
        db, db.pick("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                    "'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "ORDER BY tablename"));
    while (list.step()) names.push_back(list.text(0));
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const std::string& n : names) {
      // Table names come from the schema, not from input; quoted as identifiers anyway.
      sql::statement count(db, fmt::format("SELECT COUNT(*) FROM {}", quoted(n)));
      count.step();
      out.emplace_back(n, count.integer(0));
    }
    return out;
  });
}

}  // namespace hd::storage
