// create_request: a request an agent registers by hand (a phone call, a walk-in).
#include "hd/storage/workflow.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

using sql::statement;

// TODO(storage): shares its rule with ingest's person lookup; fold into one verb once the
// storage issue's work on ingest.cpp has landed.
std::int64_t person_for(const sql::connection& db, const new_request& r, std::int64_t now) {
  std::string addr = ascii_lower(r.person_address);
  statement find(db, "SELECT person_id FROM person_addresses WHERE address = ?1");
  find.bind(1, addr);
  if (find.step()) return find.integer(0);
  statement ins(db, R"(INSERT INTO persons (name, company_id, created_at)
                       VALUES (?1, (SELECT company_id FROM company_domains WHERE domain = ?2), ?3))");
  ins.bind(1, r.person_name).bind(2, addr.substr(addr.rfind('@') + 1)).bind(3, now).run();
  std::int64_t id = db.last_insert_id();
  statement link(db, "INSERT INTO person_addresses (address, person_id) VALUES (?1, ?2)");
  link.bind(1, addr).bind(2, id).run();
  return id;
}

}  // namespace

result<std::int64_t, errc> create_request(store& s, const new_request& r, const acting& by) {
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
    std::int64_t person = person_for(db, r, by.now);
    statement req(
        db,
        R"(INSERT INTO requests (title, priority, category_id, person_id, mailbox, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, 'agent', ?5, ?5))");
    req.bind(1, r.title)
        .bind(2, r.priority)
        .bind(3, category)
        .bind(4, person)
        .bind(5, by.now)
        .run();
    std::int64_t id = db.last_insert_id();
    statement msg(
        db,
        R"(INSERT INTO messages (request_id, direction, person_id, from_address, from_name, subject, body_text, created_at)
                         VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6, ?7))");
    msg.bind(1, id).bind(2, person).bind(3, ascii_lower(r.person_address)).bind(4, r.person_name);
    msg.bind(5, r.title).bind(6, r.text).bind(7, by.now).run();
    statement ev(db,
                 "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, "
                 "'created', 'registered by an agent')");
    ev.bind(1, id).bind(2, by.now).bind(3, by.login).run();
    tx.commit();
    return id;
  });
}

}  // namespace hd::storage
