// queue_agent_mail: an agent's reply or forward, into the outbox in one transaction.
#include "hd/storage/workflow.hpp"
#include "store_impl.hpp"

namespace hd::storage {

result<std::int64_t, errc> queue_agent_mail(store& s, std::int64_t request, const outgoing_mail& m,
                                            const acting& by) {
  if (m.kind != "reply" && m.kind != "forward") {
    return error<errc>{errc::invalid,
                       fmt::format("an agent's mail is a reply or a forward, not '{}'", m.kind)};
  }
  if (m.recipients.empty()) return error<errc>{errc::invalid, "the mail has no recipient"};
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement find(db, "SELECT status, merged_into, version FROM requests WHERE id = ?1");
    find.bind(1, request);
    if (!find.step())
      return error<errc>{errc::not_found, fmt::format("there is no request #{}", request)};
    if (find.text(0) == "merged") {
      return error<errc>{errc::invalid,
                         fmt::format("request #{} was merged into #{}: work on that one", request,
                                     find.integer(1))};
    }
    if (by.if_version && *by.if_version != find.integer(2)) {
      return error<errc>{errc::conflict, fmt::format("request #{} changed since you last read "
                                                     "it: read it again",
                                                     request)};
    }
    queue_outgoing(db, request, m, by.now);
    sql::statement id(db, "SELECT MAX(id) FROM outbox WHERE request_id = ?1");
    id.bind(1, request);
    id.step();
    std::int64_t outbox_id = id.integer(0);
    sql::statement author(db,
                          R"(UPDATE messages SET author_id = (SELECT id FROM users WHERE login = ?2)
                                 WHERE id = (SELECT message_id FROM outbox WHERE id = ?1))");
    author.bind(1, outbox_id).bind(2, by.login).run();
    if (m.kind == "reply") {
      sql::statement first(
          db,
          "UPDATE requests SET first_response_at = ?2 WHERE id = ?1 AND first_response_at IS NULL");
      first.bind(1, request).bind(2, by.now).run();
    }
    std::string to;
    for (const std::string& r : m.recipients) to += (to.empty() ? "" : ", ") + r;
    sql::statement ev(
        db, "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
    ev.bind(1, request)
        .bind(2, by.now)
        .bind(3, by.login)
        .bind(4, m.kind == "reply" ? "replied" : "forwarded")
        .bind(5, to)
        .run();
    sql::statement touch(db, "UPDATE requests SET updated_at = ?2 WHERE id = ?1");
    touch.bind(1, request).bind(2, by.now).run();
    tx.commit();
    return outbox_id;
  });
}

}  // namespace hd::storage
