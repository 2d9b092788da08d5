// Read-side verbs and the quarantine.
#include "hd/storage/store.hpp"

#include "hd/common/digest.hpp"
#include "raw_codec.hpp"
#include "store_impl.hpp"

namespace hd::storage {

result<std::int64_t, errc> store::quarantine(const mail_source& src, std::string_view raw,
                                             std::string_view reason, std::int64_t now) {
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(*this);
    sql::transaction tx(db);
    std::string sha = sha256_hex(raw);
    // The same bytes fetched again from the same mailbox after a UIDVALIDITY change, still
    // waiting in quarantine: keep the one record. (Not for mail without a UID: reprocessing
    // a quarantined mail that fails again makes a new entry, and resolves the old one.)
    sql::statement same(db, R"(SELECT q.id FROM quarantine q JOIN raw_messages r ON r.id = q.raw_id
                                 WHERE r.sha256 = ?1 AND r.by_message_id = 0 AND r.mailbox = ?2 AND r.uid IS NOT NULL
                                   AND q.resolved_at IS NULL
                                 LIMIT 1)");
    same.bind(1, sha).bind(2, src.mailbox);
    if (src.uid && same.step()) {
      std::int64_t id = same.integer(0);
      save_checkpoint_if_uid(db, src);
      tx.commit();
      return id;
    }
    sql::statement raw_st(
        db,
        R"(INSERT INTO raw_messages (sha256, size, bytes, received_at, mailbox, folder, uidvalidity, uid, encoding)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                                 ON CONFLICT DO NOTHING RETURNING id)");
    stored_raw kept = encode_raw(raw);
    raw_st.bind(1, sha)
        .bind(2, static_cast<std::int64_t>(raw.size()))
        .bind_blob(3, kept.bytes)
        .bind(4, now)
        .bind(9, static_cast<std::int64_t>(kept.encoding));
    raw_st.bind(5, src.mailbox).bind(6, src.folder).bind(7, src.uidvalidity).bind(8, src.uid);
    auto raw_id = sql::inserted_id(raw_st);
    if (!raw_id) {
      // Same UID quarantined before: keep the one record.
      sql::statement find(db,
                          R"(SELECT q.id FROM quarantine q JOIN raw_messages r ON r.id = q.raw_id
                                 WHERE r.mailbox = ?1 AND r.folder IS NOT DISTINCT FROM ?2 AND r.uidvalidity = ?3 AND r.uid = ?4)");
      find.bind(1, src.mailbox).bind(2, src.folder).bind(3, src.uidvalidity).bind(4, src.uid);
      std::int64_t id = find.step() ? find.integer(0) : 0;
      tx.commit();
      return id;
    }
    sql::statement q(
        db, "INSERT INTO quarantine (raw_id, reason, created_at) VALUES (?1, ?2, ?3) RETURNING id");
    q.bind(1, *raw_id).bind(2, reason).bind(3, now);
    std::int64_t id = sql::new_id(q);
    save_checkpoint_if_uid(db, src);
    tx.commit();
    return id;
  });
}

namespace {

// The ORDER BY of each request_sort. Keys without a value (no due time, no priority target)
// sort last in both directions; ties go by id.
std::string order_by(const sql::connection& db, request_sort sort, bool desc) {
  const char* dir = desc ? " DESC" : "";
  std::string key;
  switch (sort) {
    case request_sort::id:
      return fmt::format("ORDER BY r.id{}", dir);
    case request_sort::created:
      key = "r.created_at";
      break;
    case request_sort::updated:
      key = "r.updated_at";
      break;
    case request_sort::priority:
      key = R"((SELECT COALESCE(NULLIF(pr.first_response_hours, 0), 999999) * 1000000
                       + COALESCE(NULLIF(pr.resolution_hours, 0), 999999)
                FROM priorities pr WHERE pr.name = r.priority))";
      break;
    case request_sort::deadline:
      // The earlier of the two deadlines: SQLite's two-argument MIN is PostgreSQL's LEAST.
      key =
          std::string(db.pick("MIN", "LEAST")) +
          R"((COALESCE(CASE WHEN r.first_response_at IS NULL THEN r.first_response_due END, r.resolution_due),
                   COALESCE(r.resolution_due, CASE WHEN r.first_response_at IS NULL THEN r.first_response_due END)))";
      break;
  }
  return fmt::format("ORDER BY ({0}) IS NULL, {0}{1}, r.id{1}", key, dir);
}

}  // namespace

namespace {

constexpr const char* summary_select = R"(
      SELECT r.id, r.title, r.status, r.priority, COALESCE(c.name, ''), COALESCE(u.login, ''), r.mailbox,
             COALESCE(p.id, 0), COALESCE(p.name, ''),
             COALESCE((SELECT address FROM person_addresses a WHERE a.person_id = p.id ORDER BY rowid LIMIT 1), ''),
             COALESCE(co.name, ''), r.created_at, r.updated_at,
             (SELECT COUNT(*) FROM messages m WHERE m.request_id = r.id)
      FROM requests r
      LEFT JOIN categories c ON c.id = r.category_id
      LEFT JOIN users u ON u.id = r.owner_id
      LEFT JOIN persons p ON p.id = r.person_id
      LEFT JOIN companies co ON co.id = p.company_id
)";

// The WHERE of F and SCOPE with only the conditions that are set: a condition written as
// "(?6 IS NULL OR r.id = ?6)" keeps SQLite from using an index for it (it scans the table),
// so each combination is its own statement. Parameter numbers are fixed; only those present
// in the text are bound.
std::string summary_where(const request_filter& f, const summary_scope& scope) {
  std::vector<std::string> w;
  if (f.status) {
    w.push_back(*f.status == "active" ? "r.status IN ('open', 'pending')" : "r.status = ?1");
  }
  if (f.category) w.push_back("r.category_id = (SELECT id FROM categories WHERE name = ?2)");
  if (f.owner) w.push_back("r.owner_id = (SELECT id FROM users WHERE login = ?3)");
  if (f.unassigned) w.push_back("r.owner_id IS NULL");
  if (scope.request) w.push_back("r.id = ?6");
  if (scope.person) w.push_back("r.person_id = ?7");
  if (scope.company) w.push_back("p.company_id = ?8");
  if (f.flagged) {
    w.push_back(
        "EXISTS (SELECT 1 FROM messages fm WHERE fm.request_id = r.id AND fm.flagged <> 0)");
  }
  if (f.favourite_of) {
    w.push_back(R"(r.id IN (SELECT f.request_id FROM favourites f
                             WHERE f.user_id = (SELECT id FROM users WHERE login = ?10)))");
  }
  if (f.overdue_at) {
    w.push_back(R"(r.status = 'open' AND r.due_at < ?11
        AND ((r.first_response_at IS NULL AND r.first_response_due < ?11) OR r.resolution_due < ?11))");
  }
  if (f.priority) w.push_back("r.priority = ?12");
  if (f.tag) w.push_back("r.id IN (SELECT t.request_id FROM request_tags t WHERE t.tag = ?13)");
  if (f.person) w.push_back("r.person_id = ?14");
  if (f.company) w.push_back("p.company_id = ?15");
  if (f.updated_since) w.push_back("r.updated_at >= ?16");
  if (w.empty()) return "";
  return fmt::format("WHERE {}\n", fmt::join(w, "\n  AND "));
}

}  // namespace

namespace {

// Binds the parameters summary_where wrote for F and SCOPE.
void bind_filter(sql::statement& st, const request_filter& f, const summary_scope& scope) {
  if (f.status && *f.status != "active") st.bind(1, *f.status);
  if (f.category) st.bind(2, *f.category);
  if (f.owner) st.bind(3, *f.owner);
  if (scope.request) st.bind(6, *scope.request);
  if (scope.person) st.bind(7, *scope.person);
  if (scope.company) st.bind(8, *scope.company);
  if (f.favourite_of) st.bind(10, *f.favourite_of);
  if (f.overdue_at) st.bind(11, *f.overdue_at);
  if (f.priority) st.bind(12, *f.priority);
  if (f.tag) st.bind(13, *f.tag);
  if (f.person) st.bind(14, *f.person);
  if (f.company) st.bind(15, *f.company);
  if (f.updated_since) st.bind(16, *f.updated_since);
}

}  // namespace

std::vector<request_summary> read_summaries(const sql::connection& db, const request_filter& f,
                                            const summary_scope& scope) {
  std::string select = summary_select;
  if (f.status == "active" && !scope.request && !db.postgres()) {
    // Active requests newest first (the default list) are read from requests_active in id
    // order; left alone, SQLite takes requests_status for the IN and sorts them all.
    select.replace(select.find("FROM requests r"), 15,
                   "FROM requests r INDEXED BY requests_active");
  }
  sql::statement st(db, select + summary_where(f, scope) + order_by(db, f.sort, f.descending) +
                            (f.offset > 0 ? " LIMIT ?5 OFFSET ?4" : " LIMIT ?5"));
  bind_filter(st, f, scope);
  if (f.offset > 0) st.bind(4, f.offset);
  st.bind(5, f.limit);
  std::vector<request_summary> out;
  while (st.step()) {
    request_summary r;
    r.id = st.integer(0);
    r.title = st.text(1);
    r.status = st.text(2);
    r.priority = st.text(3);
    r.category = st.text(4);
    r.owner = st.text(5);
    r.mailbox = st.text(6);
    r.person_id = st.integer(7);
    r.person_name = st.text(8);
    r.person_address = st.text(9);
    r.company = st.text(10);
    r.created_at = st.integer(11);
    r.updated_at = st.integer(12);
    r.message_count = st.integer(13);
    out.push_back(std::move(r));
  }
  return out;
}

result<std::vector<request_summary>, errc> store::list_requests(const request_filter& f) {
  return guarded([&]() -> result<std::vector<request_summary>, errc> {
    return read_summaries(connection_of(*this), f, {});
  });
}

result<std::int64_t, errc> store::count_requests(const request_filter& f) {
  return guarded([&]() -> result<std::int64_t, errc> {
    bool joins_person = f.company.has_value();
    sql::statement st(connection_of(*this),
                      std::string("SELECT COUNT(*) FROM requests r") +
                          (joins_person ? " LEFT JOIN persons p ON p.id = r.person_id\n" : "\n") +
                          summary_where(f, {}));
    bind_filter(st, f, {});
    st.step();
    return st.integer(0);
  });
}

}  // namespace hd::storage
