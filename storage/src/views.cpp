#include "hd/storage/views.hpp"

#include "store_impl.hpp"

#include <algorithm>
#include <optional>

namespace hd::storage {
namespace {

/// Requests waiting for their due times are read this many at a time (apply_deadlines).
constexpr std::size_t k_deadlines_chunk = 500;

using sql::statement;

// The columns every queue view selects, in queue_item's order. ?1 = now, ?2 = the agent's login.
constexpr const char* queue_select = R"(
  SELECT r.id, r.title, r.status, r.priority, COALESCE(c.name, ''), COALESCE(u.login, ''),
         COALESCE(NULLIF(p.name, ''), (SELECT address FROM person_addresses a WHERE a.person_id = p.id
                                       ORDER BY rowid LIMIT 1), ''),
         r.created_at, r.updated_at, r.postponed_until,
         CASE WHEN r.first_response_at IS NULL THEN r.first_response_due END,
         CASE WHEN r.status <> 'closed' THEN r.resolution_due END,
         (r.status = 'open' AND ((r.first_response_at IS NULL AND r.first_response_due < ?1)
                                 OR r.resolution_due < ?1)),
         EXISTS (SELECT 1 FROM favourites f JOIN users fu ON fu.id = f.user_id
                 WHERE f.request_id = r.id AND fu.login = ?2)
  FROM requests r
  LEFT JOIN categories c ON c.id = r.category_id
  LEFT JOIN users u ON u.id = r.owner_id
  LEFT JOIN persons p ON p.id = r.person_id
)";

// Nearest due time first (requests without one last), then oldest: the stored key due_at
// (schema 11), which the partial indexes on open requests hold in this order.
constexpr const char* queue_order = R"(
  ORDER BY r.due_at, r.created_at, r.id
)";

// Open, unowned, and in one of the agent's categories (any, when they are in none). Read in
// due order from requests_open_owner_due (owner_id IS NULL).
constexpr const char* unassigned_where = R"(
  WHERE r.status = 'open' AND r.owner_id IS NULL
    AND (NOT EXISTS (SELECT 1 FROM category_members m JOIN users mu ON mu.id = m.user_id WHERE mu.login = ?2)
         OR r.category_id IN (SELECT m.category_id FROM category_members m JOIN users mu ON mu.id = m.user_id
                              WHERE mu.login = ?2))
)";

// Each queue's WHERE names the partial index's condition (status = ...) so that the planner
// can read the queue in order from it and stop at the LIMIT.
constexpr const char* mine_where = R"(
  WHERE r.status = 'open' AND r.owner_id = (SELECT id FROM users WHERE login = ?2)
)";

// Overdue implies due_at < now (due_at is the smaller of the two due times), which lets the
// scan of requests_open_due stop at now. INDEXED BY: SQLite would otherwise prefer the
// equality on requests_status and sort every open request.
constexpr const char* overdue_from = "FROM requests r INDEXED BY requests_open_due";
constexpr const char* overdue_where = R"(
  WHERE r.status = 'open' AND r.due_at < ?1
    AND ((r.first_response_at IS NULL AND r.first_response_due < ?1) OR r.resolution_due < ?1)
)";

// Pending requests waking before the end of today: few, found by their wake-up time.
constexpr const char* waking_from = "FROM requests r INDEXED BY requests_pending_wake";

constexpr const char* favourites_where = R"(
  WHERE r.id IN (SELECT f.request_id FROM favourites f
                 WHERE f.user_id = (SELECT id FROM users WHERE login = ?2))
    AND r.status NOT IN ('closed', 'merged')
)";

queue_item read_item(const statement& st) {
  queue_item q;
  q.id = st.integer(0);
  q.title = st.text(1);
  q.status = st.text(2);
  q.priority = st.text(3);
  q.category = st.text(4);
  q.owner = st.text(5);
  q.person = st.text(6);
  q.created_at = st.integer(7);
  q.updated_at = st.integer(8);
  q.postponed_until = st.opt_integer(9);
  q.first_response_due = st.opt_integer(10);
  q.resolution_due = st.opt_integer(11);
  q.overdue = st.integer(12) != 0;
  q.favourite = st.integer(13) != 0;
  return q;
}

std::vector<queue_item> query(const sql::connection& db, const std::string& where,
                              const std::string& login, std::int64_t now, std::int64_t extra = 0,
                              const char* from = nullptr) {
  std::string select = queue_select;
  if (from) select.replace(select.find("FROM requests r"), 15, from);
  statement st(db, select + where + queue_order + " LIMIT 500");
  st.bind(1, now).bind(2, login);
  if (extra != 0) st.bind(3, extra);
  std::vector<queue_item> out;
  while (st.step()) out.push_back(read_item(st));
  return out;
}

}  // namespace

std::optional<due_times> due_times_of(const std::vector<priority_config>& targets,
                                      std::string_view priority, std::int64_t created_at) {
  auto t = std::find_if(targets.begin(), targets.end(),
                        [&](const priority_config& p) { return p.name == priority; });
  if (t == targets.end()) return std::nullopt;
  auto due = [&](int hours) {
    return hours > 0 ? std::optional<std::int64_t>(created_at + std::int64_t{hours} * 3600)
                     : std::nullopt;
  };
  return due_times{due(t->first_response_hours), due(t->resolution_hours)};
}

result<int, errc> apply_deadlines(store& s, const std::vector<priority_config>& targets) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    // The usual case is the intake's: none waits (a new request is written with its due
    // times), or one. The waiting requests are read (in chunks, as the partial index finds
    // them) and each is updated by its key; an UPDATE per priority over the index on the
    // column it changes made SQLite update in two passes, 5 % of the storage worker's time.
    struct waiting {
      std::int64_t id = 0, created_at = 0;
      std::string priority;
    };
    auto next_chunk = [&db] {
      std::vector<waiting> chunk;
      statement pending(
          db, "SELECT id, priority, created_at FROM requests WHERE deadlines_set = 0 LIMIT ?1");
      pending.bind(1, static_cast<std::int64_t>(k_deadlines_chunk));
      while (pending.step()) {
        chunk.push_back({pending.integer(0), pending.integer(2), pending.text(1)});
      }
      return chunk;
    };
    std::vector<waiting> chunk = next_chunk();
    if (chunk.empty()) return 0;  // no savepoint when there is nothing to do
    sql::transaction tx(db);
    statement set(db, R"(UPDATE requests SET first_response_due = ?2, resolution_due = ?3,
                                             deadlines_set = 1 WHERE id = ?1)");
    statement done(db, "UPDATE requests SET deadlines_set = 1 WHERE id = ?1");
    int n = 0;
    for (; !chunk.empty(); chunk = next_chunk()) {
      for (const waiting& w : chunk) {
        std::optional<due_times> due = due_times_of(targets, w.priority, w.created_at);
        // A priority without targets is only marked done: its due times stay as they were.
        if (!due) {
          done.bind(1, w.id).run();
          done.reset();
          continue;
        }
        set.bind(1, w.id).bind(2, due->first_response).bind(3, due->resolution).run();
        set.reset();
        ++n;
      }
      if (chunk.size() < k_deadlines_chunk) break;  // that was the last
    }
    tx.commit();
    return n;
  });
}

result<void, errc> mark_first_response(store& s, std::int64_t request, std::int64_t at) {
  return guarded([&]() -> result<void, errc> {
    statement st(
        connection_of(s),
        "UPDATE requests SET first_response_at = ?2 WHERE id = ?1 AND first_response_at IS NULL");
    st.bind(1, request).bind(2, at).run();
    return {};
  });
}

result<dashboard_view, errc> dashboard(store& s, const std::string& login, std::int64_t now) {
  return guarded([&]() -> result<dashboard_view, errc> {
    const sql::connection& db = connection_of(s);
    dashboard_view v;
    v.mine = query(db, mine_where, login, now);
    v.unassigned = query(db, unassigned_where, login, now);
    std::int64_t end_of_day = (now / 86400 + 1) * 86400;
    // INDEXED BY is SQLite's; PostgreSQL's planner picks the partial indexes itself.
    v.waking = query(db, "WHERE r.status = 'pending' AND r.postponed_until < ?3", login, now,
                     end_of_day, db.pick(waking_from, "FROM requests r"));
    v.overdue = query(db, overdue_where, login, now, 0, db.pick(overdue_from, "FROM requests r"));
    v.favourites = query(db, favourites_where, login, now);
    return v;
  });
}

result<std::optional<queue_item>, errc> take_next(store& s, const std::string& login,
                                                  std::int64_t now) {
  return guarded([&]() -> result<std::optional<queue_item>, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    std::vector<queue_item> queue = query(db, unassigned_where, login, now);
    if (queue.empty()) return std::optional<queue_item>();
    queue_item next = queue.front();
    statement user(db, "INSERT INTO users (login) VALUES (?1) ON CONFLICT DO NOTHING");
    user.bind(1, login).run();
    statement st(
        db,
        R"(UPDATE requests SET owner_id = (SELECT id FROM users WHERE login = ?2), updated_at = ?3
                        WHERE id = ?1 AND owner_id IS NULL)");
    st.bind(1, next.id).bind(2, login).bind(3, now).run();
    statement ev(db,
                 "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, "
                 "'accepted', 'requests next')");
    ev.bind(1, next.id).bind(2, now).bind(3, login).run();
    tx.commit();
    next.owner = login;
    return std::optional<queue_item>(next);
  });
}

result<open_counts, errc> count_open(store& s) {
  return guarded([&]() -> result<open_counts, errc> {
    const sql::connection& db = connection_of(s);
    open_counts c;
    auto fill = [&](const char* sql_text, auto& out) {
      statement st(db, sql_text);
      while (st.step()) out.emplace_back(st.text(0), st.integer(1));
    };
    fill(
        R"(SELECT COALESCE(u.login, ''), COUNT(*) FROM requests r LEFT JOIN users u ON u.id = r.owner_id
            WHERE r.status = 'open' GROUP BY 1 ORDER BY 1)",
        c.by_owner);
    fill(
        R"(SELECT COALESCE(k.name, ''), COUNT(*) FROM requests r LEFT JOIN categories k ON k.id = r.category_id
            WHERE r.status = 'open' GROUP BY 1 ORDER BY 1)",
        c.by_category);
    fill("SELECT priority, COUNT(*) FROM requests WHERE status = 'open' GROUP BY 1 ORDER BY 1",
         c.by_priority);
    return c;
  });
}

}  // namespace hd::storage
