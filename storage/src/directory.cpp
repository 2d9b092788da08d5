#include "hd/storage/directory.hpp"

#include "hd/common/digest.hpp"
#include "raw_codec.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

void sync_users(const sql::connection& db, const config& cfg) {
  db.exec("UPDATE users SET active = 0");
  sql::statement st(db, R"(INSERT INTO users (login, name, email, absent, active)
                           VALUES (?1, ?2, ?3, ?4, 1)
                           ON CONFLICT (login) DO UPDATE SET name = excluded.name,
                             email = excluded.email, absent = excluded.absent, active = 1)");
  for (const user_config& u : cfg.users) {
    st.bind(1, u.login).bind(2, u.name).bind(3, u.email).bind(4, u.absent ? 1 : 0).run();
    st.reset();
  }
}

void sync_categories(const sql::connection& db, const config& cfg) {
  db.exec("UPDATE categories SET active = 0");
  db.exec("DELETE FROM category_members");
  sql::statement st(db, R"(INSERT INTO categories (name, assignment, active) VALUES (?1, ?2, 1)
                           ON CONFLICT (name) DO UPDATE SET assignment = excluded.assignment,
                             active = 1)");
  sql::statement member(db,
                        R"(INSERT INTO category_members (category_id, user_id, position)
                               SELECT c.id, u.id, CAST(?3 AS BIGINT) FROM categories c, users u
                               WHERE c.name = ?1 AND u.login = ?2 ON CONFLICT DO NOTHING)");
  for (const category_config& c : cfg.categories) {
    st.bind(1, c.name).bind(2, to_string(c.method)).run();
    st.reset();
    int pos = 0;
    for (const std::string& login : c.members) {
      member.bind(1, c.name).bind(2, login).bind(3, pos++).run();
      member.reset();
    }
  }
}

void sync_priorities(const sql::connection& db, const config& cfg) {
  db.exec("UPDATE priorities SET active = 0");
  sql::statement st(db, R"(INSERT INTO priorities (name, first_response_hours, resolution_hours,
                                                   is_default, position, active)
                           VALUES (?1, ?2, ?3, ?4, ?5, 1)
                           ON CONFLICT (name) DO UPDATE SET
                             first_response_hours = excluded.first_response_hours,
                             resolution_hours = excluded.resolution_hours,
                             is_default = excluded.is_default, position = excluded.position,
                             active = 1)");
  int pos = 0;
  for (const priority_config& p : cfg.priorities) {
    st.bind(1, p.name).bind(2, p.first_response_hours).bind(3, p.resolution_hours);
    st.bind(4, p.is_default ? 1 : 0).bind(5, pos++).run();
    st.reset();
  }
}

struct member {
  std::int64_t id;
  std::string login;
};

std::vector<member> present_members(const sql::connection& db, std::int64_t category,
                                    bool by_load) {
  // by_load: fewest open or pending requests first; ties broken by config order.
  sql::statement st(db, by_load ? R"(SELECT u.id, u.login FROM category_members m
                                     JOIN users u ON u.id = m.user_id
                                     WHERE m.category_id = ?1 AND u.absent = 0 AND u.active = 1
                                     ORDER BY (SELECT COUNT(*) FROM requests r WHERE r.owner_id = u.id
                                               AND r.status IN ('open', 'pending')), m.position)"
                                : R"(SELECT u.id, u.login FROM category_members m
                                     JOIN users u ON u.id = m.user_id
                                     WHERE m.category_id = ?1 AND u.absent = 0 AND u.active = 1
                                     ORDER BY m.position)");
  st.bind(1, category);
  std::vector<member> out;
  while (st.step()) out.push_back({st.integer(0), st.text(1)});
  return out;
}

std::string next_round_robin(const sql::connection& db, std::int64_t category,
                             std::optional<std::int64_t> last) {
  std::vector<member> m = present_members(db, category, false);
  if (m.empty()) return "";
  std::size_t next = 0;
  if (last) {
    // The member after the last one assigned, in config order (absent ones skipped).
    sql::statement pos(db, R"(SELECT position FROM category_members
                              WHERE category_id = ?1 AND user_id = ?2)");
    pos.bind(1, category).bind(2, *last);
    if (pos.step()) {
      std::int64_t last_pos = pos.integer(0);
      sql::statement after(
          db, R"(SELECT user_id FROM category_members m JOIN users u ON u.id = m.user_id
                                  WHERE m.category_id = ?1 AND m.position > ?2 AND u.absent = 0
                                    AND u.active = 1 ORDER BY m.position LIMIT 1)");
      after.bind(1, category).bind(2, last_pos);
      if (after.step()) {
        std::int64_t id = after.integer(0);
        for (std::size_t i = 0; i < m.size(); ++i)
          if (m[i].id == id) next = i;
      }
    }
  }
  sql::statement upd(db, "UPDATE categories SET last_assigned = ?2 WHERE id = ?1");
  upd.bind(1, category).bind(2, m[next].id).run();
  return m[next].login;
}

}  // namespace

result<directory_counts, errc> sync_directory(store& s, const config& cfg) {
  return guarded([&]() -> result<directory_counts, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sync_users(db, cfg);
    sync_categories(db, cfg);
    sync_priorities(db, cfg);
    tx.commit();
    return directory_counts{static_cast<int>(cfg.users.size()),
                            static_cast<int>(cfg.categories.size()),
                            static_cast<int>(cfg.priorities.size())};
  });
}

result<std::string, errc> pick_owner(store& s, std::string_view category) {
  return guarded([&]() -> result<std::string, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement st(db, R"(SELECT id, assignment, last_assigned FROM categories
                             WHERE name = ?1 AND active = 1)");
    st.bind(1, category);
    if (!st.step()) return std::string();
    std::int64_t id = st.integer(0);
    std::string method = st.text(1);
    std::string owner;
    if (method == "round_robin") {
      owner = next_round_robin(db, id, st.opt_integer(2));
    } else if (method == "fewest_open") {
      auto m = present_members(db, id, true);
      if (!m.empty()) owner = m.front().login;
    }
    tx.commit();
    return owner;
  });
}

result<bool, errc> is_followup(store& s, const parsed_message& m, std::int64_t now) {
  auto t = thread_target(s, m, now);
  if (!t) return t.error();
  return t->has_value();
}

result<discard_kept, errc> keep_discarded(store& s, const mail_source& src, std::string_view raw,
                                          std::string_view reason, std::int64_t now) {
  return guarded([&]() -> result<discard_kept, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    if (src.uid && src.uidvalidity) {
      sql::statement find(db,
                          R"(SELECT q.id FROM quarantine q JOIN raw_messages r ON r.id = q.raw_id
                                 WHERE r.mailbox = ?1 AND r.folder IS NOT DISTINCT FROM ?2 AND r.uidvalidity = ?3
                                   AND r.uid = ?4)");
      find.bind(1, src.mailbox).bind(2, src.folder).bind(3, src.uidvalidity).bind(4, src.uid);
      if (find.step()) return discard_kept{find.integer(0), false};
    }
    // The same bytes discarded before from this mailbox (a mail server delivering the pipe
    // twice, a re-fetch after a UIDVALIDITY change): one record, and its redirects are not
    // sent again.
    std::string sha = sha256_hex(raw);
    sql::statement same(db, R"(SELECT q.id FROM quarantine q JOIN raw_messages r ON r.id = q.raw_id
                                WHERE r.sha256 = ?1 AND r.by_message_id = 0 AND r.mailbox = ?2
                                  AND q.resolution = 'discarded' LIMIT 1)");
    same.bind(1, sha).bind(2, src.mailbox);
    if (same.step()) {
      std::int64_t id = same.integer(0);
      save_checkpoint_if_uid(db, src);
      tx.commit();
      return discard_kept{id, false};
    }
    sql::statement raw_st(db,
                          R"(INSERT INTO raw_messages (sha256, size, bytes, received_at, mailbox,
                                                          folder, uidvalidity, uid, encoding)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id)");
    stored_raw kept = encode_raw(raw);
    raw_st.bind(1, sha).bind(2, static_cast<std::int64_t>(raw.size()));
    raw_st.bind(9, static_cast<std::int64_t>(kept.encoding));
    raw_st.bind_blob(3, kept.bytes).bind(4, now).bind(5, src.mailbox).bind(6, src.folder);
    raw_st.bind(7, src.uidvalidity).bind(8, src.uid);
    std::int64_t raw_id = sql::new_id(raw_st);
    sql::statement q(db,
                     R"(INSERT INTO quarantine (raw_id, reason, created_at, resolved_at, resolution)
                            VALUES (?1, ?2, ?3, ?3, 'discarded') RETURNING id)");
    q.bind(1, raw_id).bind(2, reason).bind(3, now);
    std::int64_t id = sql::new_id(q);
    save_checkpoint_if_uid(db, src);
    tx.commit();
    return discard_kept{id, true};
  });
}

result<void, errc> set_discard_reason(store& s, std::int64_t id, std::string_view reason) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(
        connection_of(s),
        "UPDATE quarantine SET reason = ?2 WHERE id = ?1 AND resolution = 'discarded'");
    st.bind(1, id).bind(2, reason).run();
    return {};
  });
}

}  // namespace hd::storage
