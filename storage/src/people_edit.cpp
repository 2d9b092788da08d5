// Editing and merging persons and companies (the admin's side of the directory).
#include "hd/storage/people.hpp"
#include "people_impl.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

using namespace people_detail;
using sql::statement;

bool exists(const sql::connection& db, const char* table, std::int64_t id) {
  statement st(db, fmt::format("SELECT 1 FROM {} WHERE id = ?1", table));
  st.bind(1, id);
  return st.step();
}

// The lower-case addr-spec, or empty when it is not one (a local part, '@', a domain).
std::string normalize_address(std::string_view a) {
  std::string s = ascii_lower(trim(a));
  std::size_t at = s.rfind('@');
  if (at == 0 || at == std::string::npos || normalize_domain(s.substr(at + 1)).empty()) return {};
  for (char c : s.substr(0, at)) {
    if (c == ' ' || c == '<' || c == '>' || c == ',' || static_cast<unsigned char>(c) < 0x20)
      return {};
  }
  return s;
}

std::optional<std::int64_t> owner_of_address(const sql::connection& db, const std::string& a) {
  statement st(db, "SELECT person_id FROM person_addresses WHERE address = ?1");
  st.bind(1, a);
  if (!st.step()) return std::nullopt;
  return st.integer(0);
}

result<std::string, errc> add_addresses(const sql::connection& db, std::int64_t id,
                                        const std::vector<std::string>& list) {
  std::string done;
  for (const std::string& raw : list) {
    std::string a = normalize_address(raw);
    if (a.empty()) return fail(errc::invalid, fmt::format("'{}' is not an email address", raw));
    std::optional<std::int64_t> owner = owner_of_address(db, a);
    if (owner && *owner == id) continue;
    if (owner)
      return fail(errc::invalid,
                  fmt::format("{} belongs to person {}: merge the two persons instead", a, *owner));
    statement ins(db, "INSERT INTO person_addresses (address, person_id) VALUES (?1, ?2)");
    ins.bind(1, a).bind(2, id).run();
    done += fmt::format(" +{}", a);
  }
  return done;
}

result<std::string, errc> remove_addresses(const sql::connection& db, std::int64_t id,
                                           const std::vector<std::string>& list) {
  std::string done;
  for (const std::string& raw : list) {
    std::string a = ascii_lower(trim(raw));
    if (owner_of_address(db, a) != id)
      return fail(errc::invalid, fmt::format("person {} has no address '{}'", id, raw));
    statement del(db, "DELETE FROM person_addresses WHERE address = ?1");
    del.bind(1, a).run();
    done += fmt::format(" -{}", a);
  }
  statement left(db, "SELECT COUNT(*) FROM person_addresses WHERE person_id = ?1");
  left.bind(1, id);
  left.step();
  if (left.integer(0) == 0)
    return fail(errc::invalid, fmt::format("person {} would have no address left", id));
  return done;
}

// Sets column COL of TABLE row ID to VALUE when given; returns a "col=value" note or "".
std::string set_text(const sql::connection& db, const char* table, const char* col, std::int64_t id,
                     const std::optional<std::string>& value) {
  if (!value) return {};
  statement st(db, fmt::format("UPDATE {} SET {} = ?2 WHERE id = ?1", table, col));
  st.bind(1, id).bind(2, *value).run();
  return fmt::format(" {}='{}'", col, *value);
}

result<std::string, errc> apply_person(const sql::connection& db, std::int64_t id,
                                       const person_changes& c) {
  std::string what = set_text(db, "persons", "name", id, c.name);
  if (c.language) {
    statement st(db, "UPDATE persons SET language = NULLIF(?2, '') WHERE id = ?1");
    st.bind(1, id).bind(2, *c.language).run();
    what += fmt::format(" language='{}'", *c.language);
  }
  if (c.company_id || c.clear_company) {
    if (c.company_id && !exists(db, "companies", *c.company_id))
      return fail(errc::not_found, fmt::format("no company {}", *c.company_id));
    statement st(db, "UPDATE persons SET company_id = ?2 WHERE id = ?1");
    st.bind(1, id).bind(2, c.company_id).run();
    what += c.company_id ? fmt::format(" company={}", *c.company_id) : " company=none";
  }
  auto added = add_addresses(db, id, c.add_addresses);
  if (!added) return added.error();
  auto removed = remove_addresses(db, id, c.remove_addresses);
  if (!removed) return removed.error();
  return what + *added + *removed;
}

}  // namespace

result<void, errc> edit_person(store& s, std::int64_t id, const person_changes& c,
                               std::string_view actor, std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    if (!exists(db, "persons", id)) return fail(errc::not_found, fmt::format("no person {}", id));
    auto what = apply_person(db, id, c);
    if (!what) return what.error();
    add_event(db, actor, "person.edited", fmt::format("person {}:{}", id, *what), now);
    tx.commit();
    return {};
  });
}

result<void, errc> merge_persons(store& s, std::int64_t from, std::int64_t into,
                                 std::string_view actor, std::int64_t now) {
  if (from == into) return fail(errc::invalid, "cannot merge a person into themselves");
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    for (std::int64_t id : {from, into}) {
      if (!exists(db, "persons", id)) return fail(errc::not_found, fmt::format("no person {}", id));
    }
    // INTO keeps what it has; what it lacks, it takes from FROM.
    statement keep(db, R"(UPDATE persons SET
        name = CASE WHEN name = '' THEN (SELECT name FROM persons WHERE id = ?2) ELSE name END,
        language = COALESCE(language, (SELECT language FROM persons WHERE id = ?2)),
        company_id = COALESCE(company_id, (SELECT company_id FROM persons WHERE id = ?2))
      WHERE id = ?1)");
    keep.bind(1, into).bind(2, from).run();
    statement requests(db, "SELECT id FROM requests WHERE person_id = ?1 ORDER BY id");
    requests.bind(1, from);
    std::vector<std::int64_t> moved;
    while (requests.step()) moved.push_back(requests.integer(0));
    for (const char* sql_text : {"UPDATE person_addresses SET person_id = ?2 WHERE person_id = ?1",
                                 "UPDATE requests SET person_id = ?2 WHERE person_id = ?1",
                                 "UPDATE messages SET person_id = ?2 WHERE person_id = ?1"}) {
      statement st(db, sql_text);
      st.bind(1, from).bind(2, into).run();
    }
    statement del(db, "DELETE FROM persons WHERE id = ?1");
    del.bind(1, from).run();
    statement ev(db, R"(INSERT INTO events (request_id, at, actor, kind, detail)
                        VALUES (?1, ?2, ?3, 'person_merged', ?4))");
    for (std::int64_t r : moved) {
      ev.bind(1, r).bind(2, now).bind(3, actor);
      ev.bind(4, fmt::format("person {} merged into person {}", from, into)).run();
      ev.reset();
    }
    add_event(db, actor, "person.merged",
              fmt::format("person {} merged into person {}; {} request(s) moved", from, into,
                          moved.size()),
              now);
    tx.commit();
    return {};
  });
}

result<void, errc> edit_company(store& s, std::int64_t id, const company_changes& c,
                                std::string_view actor, std::int64_t now) {
  std::optional<std::string> name;
  if (c.name) {
    name = trim(*c.name);
    if (name->empty()) return fail(errc::invalid, "a company needs a name");
  }
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    if (!exists(db, "companies", id))
      return fail(errc::not_found, fmt::format("no company {}", id));
    if (name) {
      statement taken(db, "SELECT 1 FROM companies WHERE name = ?1 AND id <> ?2");
      taken.bind(1, *name).bind(2, id);
      if (taken.step()) return fail(errc::invalid, fmt::format("company '{}' exists", *name));
    }
    std::string what = set_text(db, "companies", "name", id, name) +
                       set_text(db, "companies", "category", id, c.category) +
                       set_text(db, "companies", "industry", id, c.industry);
    for (const std::string& d : c.add_domains) {
      auto moved = give_domain(db, id, d, actor, now);
      if (!moved) return moved.error();
      what += fmt::format(" +{}", normalize_domain(d));
    }
    for (const std::string& d : c.remove_domains) {
      statement del(db, "DELETE FROM company_domains WHERE domain = ?1 AND company_id = ?2");
      del.bind(1, normalize_domain(d)).bind(2, id).run();
      if (db.changes() == 0)
        return fail(errc::invalid, fmt::format("company {} does not own domain '{}'", id, d));
      what += fmt::format(" -{}", normalize_domain(d));
    }
    add_event(db, actor, "company.edited", fmt::format("company {}:{}", id, what), now);
    tx.commit();
    return {};
  });
}

result<void, errc> merge_companies(store& s, std::int64_t from, std::int64_t into,
                                   std::string_view actor, std::int64_t now) {
  if (from == into) return fail(errc::invalid, "cannot merge a company into itself");
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    for (std::int64_t id : {from, into}) {
      if (!exists(db, "companies", id))
        return fail(errc::not_found, fmt::format("no company {}", id));
    }
    statement keep(db, R"(UPDATE companies SET
        category = CASE WHEN category = '' THEN (SELECT category FROM companies WHERE id = ?2)
                   ELSE category END,
        industry = CASE WHEN industry = '' THEN (SELECT industry FROM companies WHERE id = ?2)
                   ELSE industry END
      WHERE id = ?1)");
    keep.bind(1, into).bind(2, from).run();
    statement persons(db, "UPDATE persons SET company_id = ?2 WHERE company_id = ?1");
    persons.bind(1, from).bind(2, into).run();
    std::int64_t moved = db.changes();
    statement domains(db, "UPDATE company_domains SET company_id = ?2 WHERE company_id = ?1");
    domains.bind(1, from).bind(2, into).run();
    statement del(db, "DELETE FROM companies WHERE id = ?1");
    del.bind(1, from).run();
    add_event(
        db, actor, "company.merged",
        fmt::format("company {} merged into company {}; {} person(s) moved", from, into, moved),
        now);
    tx.commit();
    return {};
  });
}

}  // namespace hd::storage
