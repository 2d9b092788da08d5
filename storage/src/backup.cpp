#include "hd/storage/backup.hpp"

#include "store_impl.hpp"

#include <filesystem>

namespace hd::storage {

result<std::int64_t, errc> backup_to(store& s, const std::string& dest) {
  if (on_postgres(s)) return sqlite_only("backup");
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dest, ec))
    return error<errc>{errc::invalid, fmt::format("'{}' exists already: give a new file", dest)};
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(dest.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  sql::connection out(raw);
  if (rc != SQLITE_OK) {
    return error<errc>{errc::io, fmt::format("cannot create '{}': {}", dest, sqlite3_errstr(rc))};
  }
  // -1: copy every page in one step, inside one read transaction of the source, so the copy
  // is a snapshot; with WAL, writers go on meanwhile.
  sqlite3_backup* b = sqlite3_backup_init(out.get(), "main", connection_of(s).get(), "main");
  if (b == nullptr)
    return error<errc>{errc::io,
                       fmt::format("backup to '{}': {}", dest, sqlite3_errmsg(out.get()))};
  rc = sqlite3_backup_step(b, -1);
  int finish = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE || finish != SQLITE_OK) {
    std::string why = sqlite3_errmsg(out.get());
    out = sql::connection();
    fs::remove(dest, ec);
    return error<errc>{(rc & 0xff) == SQLITE_BUSY ? errc::busy : errc::io,
                       fmt::format("backup to '{}' failed: {}", dest, why)};
  }
  // A copy that fails its check (the source was damaged) must not be left where an operator
  // would take it for a good backup: it is removed.
  std::string problem;
  try {
    sql::statement check(out, "PRAGMA integrity_check");
    check.step();
    if (check.text(0) != "ok") problem = check.text(0);
  } catch (const sql::sqlite_error& e) {
    problem = e.what();
  }
  if (!problem.empty()) {
    out = sql::connection();
    fs::remove(dest, ec);
    return error<errc>{errc::io, fmt::format("the copy failed its integrity check ({}), so it was "
                                             "removed; the database is damaged: see "
                                             "docs/faults.md",
                                             problem)};
  }
  return static_cast<std::int64_t>(fs::file_size(dest));
}

namespace {
std::int64_t pragma_integer(const sql::connection& db, const char* pragma) {
  sql::statement st(db, pragma);
  return st.step() ? st.integer(0) : 0;
}
}  // namespace

result<compact_report, errc> compact(store& s) {
  if (on_postgres(s)) return sqlite_only("compact");
  return guarded([&]() -> result<compact_report, errc> {
    const sql::connection& db = connection_of(s);
    compact_report r;
    std::int64_t page = pragma_integer(db, "PRAGMA page_size");
    r.bytes_before = pragma_integer(db, "PRAGMA page_count") * page;
    r.free_before = pragma_integer(db, "PRAGMA freelist_count") * page;
    // VACUUM builds the new file as a temporary database: on disk, not in memory (the
    // connection keeps its statement journals in memory, store.cpp).
    db.exec("PRAGMA temp_store = FILE");
    db.exec("VACUUM");
    db.exec("PRAGMA temp_store = MEMORY");
    // The WAL holds the rewritten pages until a checkpoint: fold them in and truncate it, so
    // the space is given back now.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    r.bytes_after = pragma_integer(db, "PRAGMA page_count") * page;
    return r;
  });
}

}  // namespace hd::storage
