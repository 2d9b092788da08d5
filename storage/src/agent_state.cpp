#include "hd/storage/agent_state.hpp"

#include "store_impl.hpp"

namespace hd::storage {

using sql::statement;

result<void, errc> mark_read(store& s, const std::string& login, std::int64_t request_id,
                             std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    statement st(connection_of(s), R"(
      INSERT INTO request_reads (login, request_id, seen_message_id, seen_at)
      SELECT CAST(?1 AS TEXT), r.id, coalesce((SELECT max(m.id) FROM messages m WHERE m.request_id = r.id), 0),
             CAST(?3 AS BIGINT)
      FROM requests r WHERE r.id = ?2
      ON CONFLICT (login, request_id)
      DO UPDATE SET seen_message_id = excluded.seen_message_id, seen_at = excluded.seen_at)");
    st.bind(1, login).bind(2, request_id).bind(3, now).run();
    if (connection_of(s).changes() == 0)
      return error<errc>{errc::not_found, fmt::format("there is no request #{}", request_id)};
    return {};
  });
}

result<std::set<std::int64_t>, errc> unread_among(store& s, const std::string& login,
                                                  const std::vector<std::int64_t>& ids) {
  return guarded([&]() -> result<std::set<std::int64_t>, errc> {
    std::set<std::int64_t> out;
    statement st(connection_of(s), R"(
      SELECT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = ?2 AND m.direction = 'in'
                     AND m.id > coalesce((SELECT seen_message_id FROM request_reads
                                          WHERE login = ?1 AND request_id = ?2), 0)))");
    for (std::int64_t id : ids) {
      st.reset();
      st.bind(1, login).bind(2, id);
      if (st.step() && st.integer(0) != 0) out.insert(id);
    }
    return out;
  });
}

result<bool, errc> is_favourite(store& s, const std::string& login, std::int64_t request_id) {
  return guarded([&]() -> result<bool, errc> {
    statement st(connection_of(s), R"(
      SELECT 1 FROM favourites f JOIN users u ON u.id = f.user_id
      WHERE u.login = ?1 AND f.request_id = ?2)");
    st.bind(1, login).bind(2, request_id);
    return st.step();
  });
}

result<agent_preferences, errc> preferences(store& s, const std::string& login) {
  return guarded([&]() -> result<agent_preferences, errc> {
    statement st(connection_of(s),
                 "SELECT language, time_zone FROM agent_preferences WHERE login = ?1");
    st.bind(1, login);
    if (!st.step()) return agent_preferences{};
    return agent_preferences{st.text(0), st.text(1)};
  });
}

result<void, errc> set_preferences(store& s, const std::string& login, const agent_preferences& p,
                                   std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    statement st(connection_of(s), R"(
      INSERT INTO agent_preferences (login, language, time_zone, updated_at)
      VALUES (?1, ?2, ?3, ?4) ON CONFLICT (login)
      DO UPDATE SET language = ?2, time_zone = ?3, updated_at = ?4)");
    st.bind(1, login).bind(2, p.language).bind(3, p.time_zone).bind(4, now).run();
    return {};
  });
}

result<std::vector<feed_event>, errc> events_after(store& s, std::int64_t after, int limit) {
  return guarded([&]() -> result<std::vector<feed_event>, errc> {
    statement st(connection_of(s), R"(
      SELECT id, coalesce(request_id, 0), at, actor, kind FROM events
      WHERE id > ?1 ORDER BY id LIMIT ?2)");
    st.bind(1, after).bind(2, std::int64_t{limit});
    std::vector<feed_event> out;
    while (st.step())
      out.push_back({st.integer(0), st.integer(1), st.integer(2), st.text(3), st.text(4)});
    return out;
  });
}

result<std::int64_t, errc> last_event_id(store& s) {
  return guarded([&]() -> result<std::int64_t, errc> {
    statement st(connection_of(s), "SELECT coalesce(max(id), 0) FROM events");
    st.step();
    return st.integer(0);
  });
}

}  // namespace hd::storage
