// Persons and companies.
#include "hd/storage/people.hpp"

#include "people_impl.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

constexpr const char* person_select = R"(
    SELECT p.id, p.name, p.company_id, COALESCE(c.name, ''), p.created_at,
           (SELECT COUNT(*) FROM requests r WHERE r.person_id = p.id), p.language
    FROM persons p LEFT JOIN companies c ON c.id = p.company_id
    WHERE (CAST(?1 AS BIGINT) IS NULL OR p.id = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR p.company_id = ?2)
    ORDER BY p.id LIMIT ?3)";

std::vector<std::string> column(const sql::connection& db, const char* sql_text, std::int64_t id) {
  sql::statement st(db, sql_text);
  st.bind(1, id);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

std::vector<person_summary> read_persons(const sql::connection& db, std::optional<std::int64_t> id,
                                         std::optional<std::int64_t> company, int limit,
                                         std::optional<std::string>* language = nullptr) {
  sql::statement st(db, person_select);
  st.bind(1, id).bind(2, company).bind(3, limit);
  std::vector<person_summary> out;
  while (st.step()) {
    person_summary p;
    p.id = st.integer(0);
    p.name = st.text(1);
    p.company_id = st.opt_integer(2);
    p.company = st.text(3);
    p.created_at = st.integer(4);
    p.request_count = st.integer(5);
    if (language != nullptr) *language = st.opt_text(6);
    out.push_back(std::move(p));
  }
  for (person_summary& p : out) {
    p.addresses = column(
        db, "SELECT address FROM person_addresses WHERE person_id = ?1 ORDER BY rowid", p.id);
  }
  return out;
}

}  // namespace

namespace people_detail {

std::vector<company_summary> read_companies(const sql::connection& db,
                                            std::optional<std::int64_t> id) {
  sql::statement st(db, R"(
      SELECT c.id, c.name, c.created_at,
             (SELECT COUNT(*) FROM persons p WHERE p.company_id = c.id),
             (SELECT COUNT(*) FROM requests r JOIN persons p ON p.id = r.person_id
              WHERE p.company_id = c.id),
             c.category, c.industry
      FROM companies c WHERE (CAST(?1 AS BIGINT) IS NULL OR c.id = ?1) ORDER BY c.name, c.id)");
  st.bind(1, id);
  std::vector<company_summary> out;
  while (st.step()) {
    out.push_back({st.integer(0),
                   st.text(1),
                   {},
                   st.integer(3),
                   st.integer(4),
                   st.integer(2),
                   st.text(5),
                   st.text(6)});
  }
  for (company_summary& c : out) {
    c.domains = column(
        db, "SELECT domain FROM company_domains WHERE company_id = ?1 ORDER BY domain", c.id);
  }
  return out;
}

void add_event(const sql::connection& db, std::string_view actor, std::string_view kind,
               std::string_view detail, std::int64_t now) {
  sql::statement st(db,
                    "INSERT INTO events (request_id, at, actor, kind, detail) "
                    "VALUES (NULL, ?1, ?2, ?3, ?4)");
  st.bind(1, now).bind(2, actor).bind(3, kind).bind(4, detail).run();
}

std::string trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Lower-case domain, or empty when malformed: letters, digits, '-', '.', and UTF-8 (IDN).
std::string normalize_domain(std::string_view d) {
  std::string s = ascii_lower(trim(d));
  if (!s.empty() && s.front() == '@') s.erase(0, 1);
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' ||
      s.find("..") != std::string::npos)
    return {};
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              static_cast<unsigned char>(c) >= 0x80;
    if (!ok) return {};
  }
  return s;
}

result<std::int64_t, errc> give_domain(const sql::connection& db, std::int64_t id,
                                       std::string_view domain, std::string_view actor,
                                       std::int64_t now) {
  std::string d = normalize_domain(domain);
  if (d.empty()) return fail(errc::invalid, fmt::format("'{}' is not a mail domain", domain));
  if (read_companies(db, id).empty())
    return fail(errc::not_found, fmt::format("no company {}", id));
  sql::statement owner(db, R"(SELECT c.id, c.name FROM company_domains d
                              JOIN companies c ON c.id = d.company_id WHERE d.domain = ?1)");
  owner.bind(1, d);
  if (owner.step()) {
    if (owner.integer(0) == id) return std::int64_t{0};
    return fail(errc::invalid,
                fmt::format("domain {} already belongs to company '{}'", d, owner.text(1)));
  }
  sql::statement ins(db, "INSERT INTO company_domains (domain, company_id) VALUES (?1, ?2)");
  ins.bind(1, d).bind(2, id).run();
  sql::statement move(db, fmt::format(R"(UPDATE persons SET company_id = ?1
      WHERE company_id IS NULL AND id IN (SELECT person_id FROM person_addresses
                                          WHERE {} = '@' || ?2))",
                                      db.pick("substr(address, -length(?2) - 1)",
                                              "right(address, length(?2) + 1)")));
  move.bind(1, id).bind(2, d).run();
  std::int64_t moved = db.changes();
  add_event(
      db, actor, "company.domain_added",
      fmt::format("company {}: domain {}, {} existing person(s) moved under it", id, d, moved),
      now);
  return moved;
}

}  // namespace people_detail

using namespace people_detail;

result<std::vector<person_summary>, errc> list_persons(store& s, const person_filter& f) {
  return guarded([&]() -> result<std::vector<person_summary>, errc> {
    return read_persons(connection_of(s), std::nullopt, f.company_id, f.limit);
  });
}

result<person_detail, errc> show_person(store& s, std::int64_t id) {
  return guarded([&]() -> result<person_detail, errc> {
    const sql::connection& db = connection_of(s);
    person_detail d;
    auto rows = read_persons(db, id, std::nullopt, 1, &d.language);
    if (rows.empty()) return fail(errc::not_found, fmt::format("no person {}", id));
    d.person = std::move(rows.front());
    d.requests =
        read_summaries(db, request_filter{}, summary_scope{std::nullopt, id, std::nullopt});
    return d;
  });
}

result<std::int64_t, errc> find_person(store& s, std::string_view address) {
  return guarded([&]() -> result<std::int64_t, errc> {
    sql::statement st(connection_of(s),
                      "SELECT person_id FROM person_addresses WHERE address = ?1");
    st.bind(1, ascii_lower(trim(address)));
    if (!st.step())
      return fail(errc::not_found, fmt::format("no person with address '{}'", address));
    return st.integer(0);
  });
}

result<std::int64_t, errc> find_person_by_name(store& s, std::string_view name) {
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    sql::statement st(
        db, db.pick("SELECT id FROM persons WHERE name = ?1 COLLATE NOCASE ORDER BY id LIMIT 10",
                    "SELECT id FROM persons WHERE lower(name) = lower(?1) ORDER BY id LIMIT 10"));
    st.bind(1, trim(name));
    std::vector<std::int64_t> found;
    while (st.step()) found.push_back(st.integer(0));
    if (found.empty()) return fail(errc::not_found, fmt::format("no person named '{}'", name));
    if (found.size() > 1)
      return fail(errc::invalid, fmt::format("{} persons are named '{}' (ids {}): use an address",
                                             found.size(), name, fmt::join(found, ", ")));
    return found.front();
  });
}

result<std::vector<company_summary>, errc> list_companies(store& s) {
  return guarded([&]() -> result<std::vector<company_summary>, errc> {
    return read_companies(connection_of(s), std::nullopt);
  });
}

result<company_detail, errc> show_company(store& s, std::int64_t id) {
  return guarded([&]() -> result<company_detail, errc> {
    const sql::connection& db = connection_of(s);
    auto rows = read_companies(db, id);
    if (rows.empty()) return fail(errc::not_found, fmt::format("no company {}", id));
    company_detail d;
    d.company = std::move(rows.front());
    d.persons = read_persons(db, std::nullopt, id, 100000);
    d.requests =
        read_summaries(db, request_filter{}, summary_scope{std::nullopt, std::nullopt, id});
    return d;
  });
}

result<std::int64_t, errc> find_company(store& s, std::string_view name_or_id) {
  return guarded([&]() -> result<std::int64_t, errc> {
    sql::statement st(connection_of(s),
                      "SELECT id FROM companies WHERE name = ?1 OR CAST(id AS TEXT) = ?1 "
                      "ORDER BY name = ?1 DESC LIMIT 1");
    st.bind(1, trim(name_or_id));
    if (!st.step()) return fail(errc::not_found, fmt::format("no company '{}'", name_or_id));
    return st.integer(0);
  });
}

result<std::int64_t, errc> add_company(store& s, std::string_view name, std::string_view actor,
                                       std::int64_t now, const std::vector<std::string>& domains) {
  std::string n = trim(name);
  if (n.empty()) return fail(errc::invalid, "a company needs a name");
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement st(db, R"(INSERT INTO companies (name, created_at) VALUES (?1, ?2)
                             ON CONFLICT DO NOTHING RETURNING id)");
    st.bind(1, n).bind(2, now);
    auto made = sql::inserted_id(st);
    if (!made) return fail(errc::invalid, fmt::format("company '{}' exists", n));
    std::int64_t id = *made;
    add_event(db, actor, "company.added", fmt::format("company {} '{}'", id, n), now);
    for (const std::string& d : domains) {
      auto moved = give_domain(db, id, d, actor, now);
      if (!moved) return moved.error();  // the transaction rolls back: no company
    }
    tx.commit();
    return id;
  });
}

result<std::int64_t, errc> add_company_domain(store& s, std::int64_t id, std::string_view domain,
                                              std::string_view actor, std::int64_t now) {
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    auto moved = give_domain(db, id, domain, actor, now);
    if (moved) tx.commit();
    return moved;
  });
}

}  // namespace hd::storage
