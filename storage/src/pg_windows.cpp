// PostgreSQL's search index split by age (schema 22, schema_pg.cpp; docs/storage.md, "Search
// on PostgreSQL"): a partial GIN index per window of [database] search_window_messages ids.
//
// A running system makes its windows with CREATE INDEX CONCURRENTLY, which lets inserts go on
// while it scans the table (a plain CREATE INDEX holds them for the whole scan: 8 s at a
// million requests). It cannot run inside a transaction, so the window is claimed first: its
// row is inserted with building_since set (the primary key on lo lets one daemon win), then
// the index is built, then building_since is cleared. A search reads a window's range either
// way; before its index is valid, PostgreSQL reads that range by id.
#include "fts_windows.hpp"
#include "hd/storage/requests.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

// A build claimed this long ago and not finished was left by a daemon that stopped or died
// during it (the server drops a concurrent build whose session ends, leaving an invalid
// index): another daemon drops what is left and builds it again. An hour is many times what
// a build takes at a million requests (8 s), and the window is made a whole window ahead.
constexpr std::int64_t k_stale_build_s = 3600;

// Windows made by one call at most; the rest follow at the next (a database whose ids ran
// far past its windows, for instance after a bulk load by other means).
constexpr int k_max_windows_per_call = 16;

const char* const k_now = "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)";

// The subject's index of the window at LO (search.cpp: queries only about subjects).
std::string subject_index(std::int64_t lo) { return fmt::format("messages_subject_{}", lo); }

void build(const pg::connection& c, std::int64_t lo, std::int64_t hi, const std::string& name) {
  c.exec(fmt::format("CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON messages USING GIN "
                     "(search) WHERE id >= {} AND id < {}",
                     quoted(name), lo, hi)
             .c_str());
  c.exec(fmt::format("CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON messages USING GIN "
                     "(to_tsvector('hd_fold', subject)) WHERE id >= {} AND id < {}",
                     quoted(subject_index(lo)), lo, hi)
             .c_str());
  pg::statement done(c, "UPDATE search_windows SET building_since = NULL WHERE lo = ?1");
  done.bind(1, lo).run();
}

// Builds again the windows whose build was left half-done, each claimed anew first.
int repair(const pg::connection& c) {
  struct left {
    std::int64_t lo, hi, since;
    std::string name;
  };
  std::vector<left> found;
  {
    pg::statement st(c, fmt::format("SELECT lo, hi, building_since, name FROM search_windows "
                                    "WHERE building_since < {} - ?1 ORDER BY lo",
                                    k_now));
    st.bind(1, k_stale_build_s);
    while (st.step()) found.push_back({st.integer(0), st.integer(1), st.integer(2), st.text(3)});
  }
  int made = 0;
  for (const left& w : found) {
    pg::statement claim(c, fmt::format("UPDATE search_windows SET building_since = {} "
                                       "WHERE lo = ?1 AND building_since = ?2",
                                       k_now));
    claim.bind(1, w.lo).bind(2, w.since).run();
    if (c.changes() == 0) continue;  // another daemon took it
    c.exec(fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", quoted(w.name)).c_str());
    c.exec(
        fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", quoted(subject_index(w.lo))).c_str());
    build(c, w.lo, w.hi, w.name);
    ++made;
  }
  return made;
}

}  // namespace

std::vector<pg_window> read_pg_windows(const sql::connection& db) {
  std::vector<pg_window> out;
  sql::statement st(db, "SELECT lo, hi FROM search_windows ORDER BY lo DESC");
  while (st.step()) out.push_back({st.integer(0), st.integer(1)});
  return out;
}

int make_pg_windows(const pg::connection& c, std::int64_t size, bool ahead) {
  if (c.in_transaction()) return 0;  // a concurrent build cannot run inside one
  int made = 0;
  for (int i = 0; i < k_max_windows_per_call; ++i) {
    pg::statement now(c, R"(SELECT (SELECT COALESCE(MAX(hi), 0) FROM search_windows),
                                   (SELECT COALESCE(MAX(id), 0) FROM messages))");
    if (!now.step()) break;
    std::int64_t top = now.integer(0);
    std::int64_t upto = now.integer(1) + (ahead ? size : 0);
    if (top > upto) break;
    std::string name = fmt::format("messages_search_{}", top);
    pg::statement claim(c, fmt::format("INSERT INTO search_windows (lo, hi, name, building_since) "
                                       "VALUES (?1, ?2, ?3, {}) ON CONFLICT DO NOTHING",
                                       k_now));
    claim.bind(1, top).bind(2, top + size).bind(3, name).run();
    if (c.changes() == 0) break;  // another daemon is making it
    build(c, top, top + size, name);
    ++made;
  }
  return made + repair(c);
}

result<int, errc> keep_search_windows(store& s) {
  if (!on_postgres(s)) return 0;  // SQLite's windows roll at commit (fts_queue.cpp)
  return guarded([&]() -> result<int, errc> {
    return make_pg_windows(*connection_of(s).pg(), detail::access::of(s).opt.search_window_messages,
                           true);
  });
}

}  // namespace hd::storage
