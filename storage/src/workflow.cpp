#include "hd/storage/workflow.hpp"

#include "store_impl.hpp"

namespace hd::storage {
namespace {

using sql::statement;

struct request_row {
  std::string status;
  std::optional<std::int64_t> owner_id;
  std::string owner_login;
  std::optional<std::int64_t> merged_into;
  std::int64_t version = 0;
};

error<errc> no_request(std::int64_t id) {
  return error<errc>{errc::not_found, fmt::format("there is no request #{}", id)};
}

error<errc> stale(std::int64_t id) {
  return error<errc>{errc::conflict,
                     fmt::format("request #{} changed since you last read it: read it again", id)};
}

error<errc> invalid(std::string message) { return error<errc>{errc::invalid, std::move(message)}; }

std::optional<request_row> load(const sql::connection& db, std::int64_t id) {
  statement st(db, R"(SELECT r.status, r.owner_id, COALESCE(u.login, ''), r.merged_into,
                             r.version
                      FROM requests r LEFT JOIN users u ON u.id = r.owner_id WHERE r.id = ?1)");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return request_row{st.text(0), st.opt_integer(1), st.text(2), st.opt_integer(3), st.integer(4)};
}

// The users table is filled from the config's [[user]] list; an agent acting before that sync
// still gets a row, so events can name them.
std::int64_t user_id(const sql::connection& db, const std::string& login) {
  statement ins(db, "INSERT INTO users (login) VALUES (?1) ON CONFLICT DO NOTHING");
  ins.bind(1, login).run();
  statement st(db, "SELECT id FROM users WHERE login = ?1");
  st.bind(1, login);
  st.step();
  return st.integer(0);
}

// The user a request is handed to must be one the config declares (synced into users at
// every start): a typo would make the request vanish from every view. The error names them.
result<std::int64_t, errc> known_user_id(const sql::connection& db, const std::string& login) {
  statement st(db, "SELECT id FROM users WHERE login = ?1 AND active = 1");
  st.bind(1, login);
  if (st.step()) return st.integer(0);
  statement all(db, "SELECT login FROM users WHERE active = 1 ORDER BY login");
  std::string known;
  while (all.step()) known += (known.empty() ? "" : ", ") + all.text(0);
  return invalid(fmt::format("no user '{}'; known users: {}", login,
                             known.empty() ? "(none: declare [[user]] in the config)" : known));
}

void event(const sql::connection& db, std::int64_t request, const acting& by, std::string_view kind,
           std::string_view detail) {
  statement st(
      db, "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  st.bind(1, request).bind(2, by.now).bind(3, by.login).bind(4, kind).bind(5, detail).run();
}

void touch(const sql::connection& db, std::int64_t request, std::int64_t now) {
  statement st(db, "UPDATE requests SET updated_at = ?2 WHERE id = ?1");
  st.bind(1, request).bind(2, now).run();
}

std::int64_t insert_note(const sql::connection& db, std::int64_t request, const std::string& text,
                         const acting& by) {
  statement st(db, R"(INSERT INTO messages (request_id, direction, author_id, body_text, created_at)
                      VALUES (?1, 'note', ?2, hd_pack(?3), ?4) RETURNING id)");
  st.bind(1, request).bind(2, user_id(db, by.login)).bind(3, text).bind(4, by.now);
  return sql::new_id(st);
}

// Runs `body` on request `id` inside one transaction, after checking it exists, is not
// merged (a merged request only ever changes through its master) and, when the caller names
// one, is still at the version the caller saw.
template <class F>
auto on_request(store& s, std::int64_t id, const acting& by, F body)
    -> decltype(body(std::declval<request_row&>())) {
  return guarded([&]() -> decltype(body(std::declval<request_row&>())) {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    std::optional<request_row> r = load(db, id);
    if (!r) return no_request(id);
    if (r->status == "merged") {
      return invalid(fmt::format("request #{} was merged into #{}: work on that one", id,
                                 r->merged_into.value_or(0)));
    }
    if (by.if_version && *by.if_version != r->version) return stale(id);
    auto out = body(*r);
    if (out.has_value()) {
      touch(db, id, by.now);
      tx.commit();
    }
    return out;
  });
}

void set_owner(const sql::connection& db, std::int64_t request, std::optional<std::int64_t> owner) {
  statement st(db, "UPDATE requests SET owner_id = ?2 WHERE id = ?1");
  st.bind(1, request).bind(2, owner).run();
}

}  // namespace

result<void, errc> accept_request(store& s, std::int64_t request, const acting& by, bool force) {
  return on_request(s, request, by, [&](request_row& r) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (r.status == "closed")
      return invalid(fmt::format("request #{} is closed: reopen it first", request));
    if (r.owner_login == by.login)
      return invalid(fmt::format("request #{} is already yours", request));
    if (r.owner_id && !force) {
      return invalid(fmt::format("request #{} is owned by {}: use --force to take it over", request,
                                 r.owner_login));
    }
    set_owner(db, request, user_id(db, by.login));
    event(db, request, by, "accepted",
          r.owner_id ? fmt::format("taken over from {}", r.owner_login) : "");
    return {};
  });
}

result<void, errc> assign_request(store& s, std::int64_t request, const std::string& owner,
                                  const acting& by) {
  return on_request(s, request, by, [&](request_row& r) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (r.status == "closed")
      return invalid(fmt::format("request #{} is closed: reopen it first", request));
    if (owner.empty()) {
      set_owner(db, request, std::nullopt);
      event(db, request, by, "unassigned", r.owner_login);
      return {};
    }
    if (owner == r.owner_login)
      return invalid(fmt::format("request #{} is already owned by {}", request, owner));
    auto target = known_user_id(db, owner);
    if (!target) return target.error();
    set_owner(db, request, *target);
    event(db, request, by, "assigned", owner);
    return {};
  });
}

result<void, errc> transfer_request(store& s, std::int64_t request, const std::string& owner,
                                    const std::string& note, const acting& by) {
  if (owner.empty()) return invalid("transfer needs the login of the colleague to transfer to");
  return on_request(s, request, by, [&](request_row& r) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (r.status == "closed")
      return invalid(fmt::format("request #{} is closed: reopen it first", request));
    if (owner == r.owner_login)
      return invalid(fmt::format("request #{} is already owned by {}", request, owner));
    auto target = known_user_id(db, owner);
    if (!target) return target.error();
    set_owner(db, request, *target);
    if (!note.empty()) insert_note(db, request, note, by);
    event(db, request, by, "transferred",
          fmt::format("{} -> {}", r.owner_login.empty() ? "-" : r.owner_login, owner));
    return {};
  });
}

result<std::int64_t, errc> add_note(store& s, std::int64_t request, const std::string& text,
                                    const acting& by) {
  if (text.empty()) return invalid("a note needs text");
  return on_request(s, request, by, [&](request_row&) -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    std::int64_t id = insert_note(db, request, text, by);
    event(db, request, by, "note", "");
    return id;
  });
}

result<void, errc> close_request(store& s, std::int64_t request, const acting& by) {
  return on_request(s, request, by, [&](request_row& r) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (r.status == "closed") return invalid(fmt::format("request #{} is already closed", request));
    statement st(db,
                 "UPDATE requests SET status = 'closed', closed_at = ?2, postponed_until = NULL "
                 "WHERE id = ?1");
    st.bind(1, request).bind(2, by.now).run();
    event(db, request, by, "closed", "");
    return {};
  });
}

result<void, errc> reopen_request(store& s, std::int64_t request, const acting& by) {
  return on_request(s, request, by, [&](request_row& r) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (r.status == "open") return invalid(fmt::format("request #{} is already open", request));
    statement st(db,
                 "UPDATE requests SET status = 'open', closed_at = NULL, postponed_until = NULL "
                 "WHERE id = ?1");
    st.bind(1, request).run();
    event(db, request, by, "reopened", "");
    return {};
  });
}

result<void, errc> postpone_request(store& s, std::int64_t request, std::int64_t until,
                                    const acting& by) {
  if (until <= by.now) return invalid("postpone needs a time in the future");
  return on_request(s, request, by, [&](request_row& r) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (r.status == "closed")
      return invalid(fmt::format("request #{} is closed: reopen it first", request));
    statement st(db, "UPDATE requests SET status = 'pending', postponed_until = ?2 WHERE id = ?1");
    st.bind(1, request).bind(2, until).run();
    event(db, request, by, "postponed", fmt::format("until {}", until));
    return {};
  });
}

result<std::int64_t, errc> request_version(store& s, std::int64_t request) {
  return guarded([&]() -> result<std::int64_t, errc> {
    std::optional<request_row> r = load(connection_of(s), request);
    if (!r) return no_request(request);
    return r->version;
  });
}

result<int, errc> wake_postponed(store& s, std::int64_t now) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    // Each due request is taken with its row locked; on PostgreSQL a second daemon waking at
    // the same moment skips it, so a request wakes once, with one event.
    statement due(db, std::string(R"(SELECT id FROM requests
                        WHERE status = 'pending' AND postponed_until IS NOT NULL AND postponed_until <= ?1
                        ORDER BY id)") +
                          db.pick("", " FOR UPDATE SKIP LOCKED"));
    due.bind(1, now);
    std::vector<std::int64_t> ids;
    while (due.step()) ids.push_back(due.integer(0));
    statement ev(db, R"(INSERT INTO events (request_id, at, actor, kind, detail)
                        VALUES (?1, ?2, 'system', 'woke', 'postponement ended'))");
    statement st(db, R"(UPDATE requests SET status = 'open', postponed_until = NULL, updated_at = ?2
                        WHERE id = ?1 AND status = 'pending')");
    int n = 0;
    for (std::int64_t id : ids) {
      ev.bind(1, id).bind(2, now).run();
      ev.reset();
      st.bind(1, id).bind(2, now).run();
      st.reset();
      ++n;
    }
    tx.commit();
    return n;
  });
}

result<void, errc> set_request(store& s, std::int64_t request, const request_changes& c,
                               const acting& by) {
  return on_request(s, request, by, [&](request_row&) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    if (c.title) {
      if (c.title->empty()) return invalid("a title cannot be empty");
      statement st(db, "UPDATE requests SET title = ?2 WHERE id = ?1");
      st.bind(1, request).bind(2, *c.title).run();
      event(db, request, by, "title", *c.title);
    }
    if (c.priority) {
      // deadlines_set = 0: apply_deadlines recomputes the due times for the new priority.
      statement st(db, "UPDATE requests SET priority = ?2, deadlines_set = 0 WHERE id = ?1");
      st.bind(1, request).bind(2, *c.priority).run();
      event(db, request, by, "priority", *c.priority);
    }
    if (c.category) {
      statement find(db, "SELECT id FROM categories WHERE name = ?1");
      find.bind(1, *c.category);
      if (!find.step())
        return error<errc>{errc::not_found, fmt::format("there is no category '{}'", *c.category)};
      statement st(db, "UPDATE requests SET category_id = ?2 WHERE id = ?1");
      st.bind(1, request).bind(2, find.integer(0)).run();
      event(db, request, by, "category", *c.category);
    }
    for (const std::string& t : c.add_tags) {
      statement st(
          db, "INSERT INTO request_tags (request_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
      st.bind(1, request).bind(2, t).run();
      if (db.changes() > 0) event(db, request, by, "tagged", t);
    }
    for (const std::string& t : c.remove_tags) {
      statement st(db, "DELETE FROM request_tags WHERE request_id = ?1 AND tag = ?2");
      st.bind(1, request).bind(2, t).run();
      if (db.changes() > 0) event(db, request, by, "untagged", t);
    }
    return {};
  });
}

result<void, errc> flag_message(store& s, std::int64_t message, bool on, const acting& by) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    statement find(db, "SELECT request_id, flagged FROM messages WHERE id = ?1");
    find.bind(1, message);
    if (!find.step())
      return error<errc>{errc::not_found, fmt::format("there is no message {}", message)};
    std::int64_t request = find.integer(0);
    if ((find.integer(1) != 0) == on) {
      return invalid(fmt::format("message {} is {} flagged", message, on ? "already" : "not"));
    }
    statement st(db, "UPDATE messages SET flagged = ?2 WHERE id = ?1");
    st.bind(1, message).bind(2, on ? 1 : 0).run();
    event(db, request, by, on ? "flagged" : "unflagged", fmt::format("message {}", message));
    tx.commit();
    return {};
  });
}

result<void, errc> favourite_request(store& s, std::int64_t request, bool on, const acting& by) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    if (!load(db, request)) return no_request(request);
    std::int64_t uid = user_id(db, by.login);
    statement st(
        db,
        on ? "INSERT INTO favourites (user_id, request_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
           : "DELETE FROM favourites WHERE user_id = ?1 AND request_id = ?2");
    st.bind(1, uid).bind(2, request).run();
    if (db.changes() == 0) {
      return invalid(
          fmt::format("request #{} is {} one of your favourites", request, on ? "already" : "not"));
    }
    tx.commit();
    return {};
  });
}

result<void, errc> merge_request(store& s, std::int64_t request, std::int64_t master,
                                 const acting& by) {
  if (request == master) return invalid("a request cannot be merged into itself");
  return on_request(s, request, by, [&](request_row&) -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    std::optional<request_row> m = load(db, master);
    if (!m) return no_request(master);
    if (m->status == "merged") {
      return invalid(fmt::format("request #{} was itself merged into #{}: merge into that one",
                                 master, m->merged_into.value_or(0)));
    }
    statement move(db, "UPDATE messages SET request_id = ?2 WHERE request_id = ?1");
    move.bind(1, request).bind(2, master).run();
    statement st(
        db,
        "UPDATE requests SET status = 'merged', merged_into = ?2, owner_id = NULL WHERE id = ?1");
    st.bind(1, request).bind(2, master).run();
    event(db, request, by, "merged", fmt::format("into #{}", master));
    event(db, master, by, "merged-in", fmt::format("#{}", request));
    touch(db, master, by.now);
    return {};
  });
}

result<std::int64_t, errc> split_request(store& s, std::int64_t request,
                                         const std::vector<std::int64_t>& messages,
                                         const acting& by) {
  if (messages.empty()) return invalid("split needs at least one message id");
  return on_request(s, request, by, [&](request_row&) -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    statement count(db, "SELECT COUNT(*) FROM messages WHERE request_id = ?1");
    count.bind(1, request);
    count.step();
    if (static_cast<std::size_t>(count.integer(0)) <= messages.size()) {
      return invalid(
          fmt::format("splitting those messages would leave request #{} empty", request));
    }
    statement subject(db, "SELECT subject, request_id FROM messages WHERE id = ?1");
    subject.bind(1, messages.front());
    std::string title = subject.step() ? subject.text(0) : std::string();
    statement create(
        db,
        R"(INSERT INTO requests (title, priority, category_id, person_id, mailbox, created_at, updated_at, linked_to)
                            SELECT CAST(?2 AS TEXT), priority, category_id, person_id, mailbox, ?3, ?3, id FROM requests WHERE id = ?1 RETURNING id)");
    create.bind(1, request)
        .bind(2, title.empty() ? fmt::format("(split from #{})", request) : title)
        .bind(3, by.now);
    std::int64_t fresh = sql::new_id(create);
    for (std::int64_t m : messages) {
      statement move(db, "UPDATE messages SET request_id = ?3 WHERE id = ?1 AND request_id = ?2");
      move.bind(1, m).bind(2, request).bind(3, fresh).run();
      if (db.changes() == 0)
        return invalid(fmt::format("message {} is not part of request #{}", m, request));
    }
    event(db, request, by, "split", fmt::format("into #{}", fresh));
    event(db, fresh, by, "created", fmt::format("split from #{}", request));
    return fresh;
  });
}

}  // namespace hd::storage
