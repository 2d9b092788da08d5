#include "hd/storage/recover.hpp"

#include "store_impl.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

namespace hd::storage {

namespace {

// Rowids read per query; a range that fails is read again one rowid at a time.
constexpr std::int64_t range_rows = 1000;
// Upper end of the rowid scan when a damaged table cannot even say its largest rowid.
constexpr std::int64_t fallback_max_rowid = std::int64_t{1} << 22;

// Tables whose content is derived from others: rebuilt at the end, not copied.
const std::set<std::string> derived = {"fts_queue", "fts_windows", "outbox_counts",
                                       "mailbox_counts"};

struct stmt_deleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_deleter>;

stmt_ptr prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  stmt_ptr p(s);
  if (rc != SQLITE_OK) throw sql::sqlite_error(rc, sqlite3_errmsg(db));
  return p;
}

void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  std::string what = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  if (rc != SQLITE_OK) throw sql::sqlite_error(rc, what);
}

std::vector<std::string> columns_of(sqlite3* db, const std::string& table) {
  std::vector<std::string> out;
  stmt_ptr s = prepare(db, "PRAGMA table_info(" + quoted(table) + ")");
  while (sqlite3_step(s.get()) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1)));
  return out;
}

// One table's copy: SELECT from the source in rowid ranges, INSERT into the destination.
struct table_copy {
  sqlite3* src;
  sqlite3* dest;
  table_recovery& out;
  stmt_ptr read;    // ?1 <= rowid < ?2 (rowid tables) or everything
  stmt_ptr insert;  // one row, every column bound
  int ncols = 0;

  // Steps READ to its end, inserting each row; false when reading failed part-way.
  bool drain(std::int64_t* last_rowid) {
    while (true) {
      int rc = sqlite3_step(read.get());
      if (rc == SQLITE_DONE) return true;
      if (rc != SQLITE_ROW) return false;
      for (int i = 0; i < ncols; ++i)
        sqlite3_bind_value(insert.get(), i + 1, sqlite3_column_value(read.get(), i));
      if (last_rowid) *last_rowid = sqlite3_column_int64(read.get(), ncols);
      int w = sqlite3_step(insert.get());
      sqlite3_reset(insert.get());
      if (w != SQLITE_DONE) throw sql::sqlite_error(w, sqlite3_errmsg(dest));
      ++out.copied;
    }
  }

  void range(std::int64_t lo, std::int64_t hi) {
    sqlite3_reset(read.get());
    sqlite3_bind_int64(read.get(), 1, lo);
    sqlite3_bind_int64(read.get(), 2, hi);
    std::int64_t last = lo - 1;
    if (drain(&last)) return;
    // Damage in this range: what is left of it, one rowid at a time.
    for (std::int64_t id = last + 1; id < hi; ++id) {
      sqlite3_reset(read.get());
      sqlite3_bind_int64(read.get(), 1, id);
      sqlite3_bind_int64(read.get(), 2, id + 1);
      if (!drain(nullptr)) ++out.unreadable;
    }
  }
};

// min(rowid) or max(rowid) of a table: readable (ok), and whether the table is empty.
struct rowid_bound {
  bool ok = false;
  bool empty = false;
  std::int64_t value = 0;
};

rowid_bound read_bound(sqlite3* db, const std::string& sql) {
  try {
    stmt_ptr s = prepare(db, sql);
    if (sqlite3_step(s.get()) != SQLITE_ROW) return {};
    if (sqlite3_column_type(s.get(), 0) == SQLITE_NULL) return {true, true, 0};
    return {true, false, sqlite3_column_int64(s.get(), 0)};
  } catch (const sql::sqlite_error&) {
    return {};
  }
}

void copy_table(sqlite3* src, sqlite3* dest, const std::string& name, bool rowid,
                table_recovery& out) {
  std::vector<std::string> want = columns_of(dest, name), have;
  try {
    have = columns_of(src, name);
  } catch (const sql::sqlite_error& e) {
    out.problem = e.what();
    return;
  }
  std::string cols, marks;
  int n = 0;
  for (const std::string& c : want) {
    if (std::find(have.begin(), have.end(), c) == have.end()) continue;
    cols += (n ? ", " : "") + quoted(c);
    marks += n++ ? ", ?" : "?";
  }
  if (n == 0) {
    out.problem = "not in the source (or its schema is unreadable)";
    return;
  }
  table_copy t{src, dest, out, {}, {}, n};
  t.insert = prepare(
      dest, "INSERT OR REPLACE INTO " + quoted(name) + " (" + cols + ") VALUES (" + marks + ")");
  try {
    t.read = rowid ? prepare(src, "SELECT " + cols + ", rowid FROM " + quoted(name) +
                                      " WHERE rowid >= ?1 AND rowid < ?2 ORDER BY rowid")
                   : prepare(src, "SELECT " + cols + " FROM " + quoted(name));
  } catch (const sql::sqlite_error& e) {
    out.problem = e.what();
    return;
  }
  exec(dest, "BEGIN");
  if (!rowid) {
    if (!t.drain(nullptr)) out.unreadable = 1;
  } else {
    rowid_bound lo = read_bound(src, "SELECT min(rowid) FROM " + quoted(name));
    rowid_bound hi = read_bound(src, "SELECT max(rowid) FROM " + quoted(name));
    bool empty = (lo.ok && lo.empty) || (hi.ok && hi.empty);
    std::int64_t first = lo.ok ? lo.value : 0, last = hi.ok ? hi.value : fallback_max_rowid;
    for (std::int64_t at = first; !empty && at <= last; at += range_rows)
      t.range(at, std::min(at + range_rows, last + 1));
  }
  exec(dest, "COMMIT");
}

// The derived tables and the full-text index, from the copied rows.
void rebuild_derived(sqlite3* dest) {
  exec(
      dest,
      "DELETE FROM outbox_counts;"
      "INSERT INTO outbox_counts (status, n) SELECT status, COUNT(*) FROM outbox GROUP BY status;"
      "DELETE FROM mailbox_counts;"
      "INSERT INTO mailbox_counts (mailbox, stored)"
      "  SELECT mailbox, COUNT(*) FROM raw_messages GROUP BY mailbox;"
      "DELETE FROM fts_queue;"
      // Not FTS5's 'rebuild': it would read the packed bodies (schema 18) as they are stored.
      "INSERT INTO messages_fts (messages_fts) VALUES ('delete-all');"
      "INSERT INTO messages_fts (rowid, subject, body_text)"
      "  SELECT id, subject, hd_text(body_text) FROM messages;"
      // The new file has one window (its schema's first): every message is in it now.
      "UPDATE fts_windows SET rows = (SELECT COUNT(*) FROM messages) WHERE name = 'messages_fts';");
}

}  // namespace

result<recovery_report, errc> recover_database(const std::string& src_path,
                                               const std::string& dest_path) {
  std::error_code ec;
  if (std::filesystem::exists(dest_path, ec)) {
    return fail(errc::invalid, fmt::format("'{}' exists: give a new file", dest_path));
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(src_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sql::connection src(raw);
  if (rc != SQLITE_OK) {
    return fail(errc::cannot_open, fmt::format("cannot open '{}': {}", src_path,
                                               raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  auto made = store::open(dest_path, open_options{});
  if (!made) return made.error();
  sqlite3* dest = connection_of(*made).get();
  recovery_report report;
  try {
    std::vector<std::pair<std::string, std::string>> tables, triggers;
    {
      stmt_ptr s = prepare(dest,
                           "SELECT type, name, sql FROM sqlite_master "
                           "WHERE type IN ('table', 'trigger') ORDER BY rowid");
      while (sqlite3_step(s.get()) == SQLITE_ROW) {
        std::string type = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
        std::string name = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1));
        const unsigned char* sql = sqlite3_column_text(s.get(), 2);
        (type == "trigger" ? triggers : tables).emplace_back(name, sql ? (const char*)sql : "");
      }
    }
    // Triggers would index, count and queue as rows arrive: off while copying, rebuilt after.
    exec(dest, "PRAGMA foreign_keys = OFF");
    for (const auto& [name, sql] : triggers) exec(dest, "DROP TRIGGER " + quoted(name));
    for (const auto& [name, sql] : tables) {
      if (name.rfind("sqlite_", 0) == 0 || name.rfind("messages_fts", 0) == 0 ||
          derived.count(name))
        continue;
      table_recovery& t = report.tables.emplace_back();
      t.table = name;
      copy_table(src.get(), dest, name, sql.find("WITHOUT ROWID") == std::string::npos, t);
    }
    for (const auto& [name, sql] : triggers) exec(dest, sql);
    rebuild_derived(dest);
    exec(dest, "PRAGMA foreign_keys = ON");
  } catch (const sql::sqlite_error& e) {
    // A half-made copy must not pass for a recovered database.
    { store closing = std::move(*made); }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(dest_path + suffix, ec);
    return to_error(e);
  }
  return report;
}

}  // namespace hd::storage
