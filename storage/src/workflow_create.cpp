// create_request: a request an agent registers by hand (a phone call, a walk-in).
#include "hd/storage/workflow.hpp"
#include "store_impl.hpp"

namespace hd::storage {

using sql::statement;

result<std::int64_t, errc> create_request(store& s, const new_request& r, const acting& by,
                                          std::string_view owner) {
  if (r.person_address.find('@') == std::string::npos) {
    return error<errc>{errc::invalid, "a request needs the person's email address"};
  }
  if (r.title.empty()) return error<errc>{errc::invalid, "a request needs a title"};
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    std::optional<std::int64_t> category;
    if (!r.category.empty()) {
      statement find(db, "SELECT id FROM categories WHERE name = ?1");
      find.bind(1, r.category);
      if (!find.step()) {
        return error<errc>{errc::not_found, fmt::format("there is no category '{}'", r.category)};
      }
      category = find.integer(0);
    }
    std::int64_t person = find_or_create_person(db, {r.person_name, r.person_address}, by.now).id;
    statement req(
        db,
        R"(INSERT INTO requests (title, priority, category_id, person_id, mailbox, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, 'agent', ?5, ?5) RETURNING id)");
    req.bind(1, r.title).bind(2, r.priority).bind(3, category).bind(4, person).bind(5, by.now);
    std::int64_t id = sql::new_id(req);
    statement msg(
        db,
        R"(INSERT INTO messages (request_id, direction, person_id, from_address, from_name, subject, body_text, created_at)
                         VALUES (?1, 'in', ?2, ?3, ?4, ?5, hd_pack(?6), ?7))");
    msg.bind(1, id).bind(2, person).bind(3, ascii_lower(r.person_address)).bind(4, r.person_name);
    msg.bind(5, r.title).bind(6, r.text).bind(7, by.now).run();
    statement ev(db,
                 "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, "
                 "'created', 'registered by an agent')");
    ev.bind(1, id).bind(2, by.now).bind(3, by.login).run();
    if (!owner.empty()) {
      statement user(db, "INSERT INTO users (login) VALUES (?1) ON CONFLICT DO NOTHING");
      user.bind(1, owner).run();
      statement own(db,
                    "UPDATE requests SET owner_id = (SELECT id FROM users WHERE login = ?2) "
                    "WHERE id = ?1");
      own.bind(1, id).bind(2, owner).run();
      statement as(db,
                   "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, "
                   "'system', 'assigned', ?3)");
      as.bind(1, id).bind(2, by.now);
      as.bind(3, fmt::format("to {} by category {}", owner, r.category)).run();
    }
    tx.commit();
    return id;
  });
}

}  // namespace hd::storage
