#include "hd/storage/integrity.hpp"

#include "store_impl.hpp"

namespace hd::storage {

namespace {

bool is_damage(int code) {
  int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

}  // namespace

result<integrity_report, errc> check_integrity(store& s, check_depth depth, int max_problems) {
  if (on_postgres(s)) return sqlite_only("integrity check");
  integrity_report r;
  try {
    sql::statement st(connection_of(s),
                      depth == check_depth::full
                          ? fmt::format("PRAGMA integrity_check({})", max_problems)
                          : fmt::format("PRAGMA quick_check({})", max_problems));
    while (st.step()) r.problems.push_back(st.text(0));
  } catch (const sql::sqlite_error& e) {
    if (!is_damage(e.code)) return to_error(e);
    r.problems.push_back(e.what());
  }
  r.ok = r.problems.size() == 1 && r.problems.front() == "ok";
  if (r.ok) r.problems.clear();
  return r;
}

std::string damage_mark_path(const std::string& db_path) { return db_path + ".damaged"; }

}  // namespace hd::storage
