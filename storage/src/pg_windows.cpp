// PostgreSQL's search index split by age (schema 22, schema_pg.cpp; docs/storage.md, "Search
// on PostgreSQL"): a partial GIN index per window of [database] search_window_messages ids,
// made ahead of the ids by hd_search_windows_ensure.
#include "fts_windows.hpp"
#include "hd/storage/requests.hpp"
#include "store_impl.hpp"

namespace hd::storage {

std::vector<pg_window> read_pg_windows(const sql::connection& db) {
  std::vector<pg_window> out;
  sql::statement st(db, "SELECT lo, hi FROM search_windows ORDER BY lo DESC");
  while (st.step()) out.push_back({st.integer(0), st.integer(1)});
  return out;
}

int ensure_pg_windows(const pg::connection& c, std::int64_t size) {
  pg::statement st(c, "SELECT hd_search_windows_ensure(CAST(?1 AS BIGINT))");
  st.bind(1, size);
  return st.step() ? static_cast<int>(st.integer(0)) : 0;
}

result<int, errc> keep_search_windows(store& s) {
  if (!on_postgres(s)) return 0;  // SQLite's windows roll at commit (fts_queue.cpp)
  return guarded([&]() -> result<int, errc> {
    return ensure_pg_windows(*connection_of(s).pg(),
                             detail::access::of(s).opt.search_window_messages);
  });
}

}  // namespace hd::storage
