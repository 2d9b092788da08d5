#include "hd/storage/store.hpp"

#include "fold_tokenizer.hpp"
#include "fts_windows.hpp"
#include "hd/storage/requests.hpp"
#include "schema_pg.hpp"
#include "store_impl.hpp"

#include <mutex>

namespace hd::storage {

store::store(std::unique_ptr<impl> p) : p_(std::move(p)) {}
store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;
store::~store() = default;

bool is_postgres_url(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

void store::impl::reconnect_if_lost() {
  if (url.empty() || db.ok()) return;
  if (db.depth() > 0) throw sql::pg_error("08006", "the connection to PostgreSQL was lost");
  db = sql::connection(pg::connection::open(url));
}

result<store, errc> store::open(const std::string& path, const open_options& opt) {
  if (is_postgres_url(path)) {
    // The PostgreSQL backend (issue 18): one connection, migrated under the schema lock
    // unless told not to. errc::busy when the server may come back (refused, starting up).
    auto p = std::make_unique<impl>();
    try {
      pg::connection c = pg::connection::open(path);
      if (opt.migrate && !opt.read_only) {
        pg::migrate(c);
        // Windows for messages past the newest one (none while a daemon keeps one ahead:
        // keep_search_windows), as when mail is only piped in by `helpdeskd ingest`.
        // Only speed is at stake (those ids are read by id until they have a window; a
        // daemon's rounds try again): a failure does not stop the open, unless the
        // connection went with it.
        try {
          make_pg_windows(c, opt.search_window_messages, false);
        } catch (const pg::pg_error&) {
          if (!c.ok()) throw;
        }
      }
      if (opt.read_only) c.exec("SET default_transaction_read_only = on");
      p->db = sql::connection(std::move(c));
    } catch (const pg::pg_error& e) {
      // The URL may hold a password: the message gives the server's complaint, not the URL.
      return fail(e.temporary() ? errc::busy : errc::cannot_open,
                  fmt::format("cannot open the PostgreSQL database: {}", e.what()));
    } catch (const std::runtime_error& e) {
      return fail(errc::migration, e.what());
    }
    p->opt = opt;
    p->url = path;
    return store(std::move(p));
  }
  // SQLite's process-wide setup, once, in this order (registering the tokenizer initialises
  // SQLite, after which sqlite3_config refuses):
  //   - SQLite counts the memory it holds under a global mutex at every malloc and free, for
  //     sqlite3_memory_used() and a soft heap limit, neither of which helpdeskd uses: off.
  //     SQLITE_MISUSE if SQLite was used before in the process: left as it is then.
  //   - messages_fts's tokenizer on every connection.
  static std::once_flag configured;
  std::call_once(configured, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    register_fold_tokenizer_everywhere();
  });
  sqlite3* raw = nullptr;
  int flags = opt.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  sql::connection db(raw);
  if (rc != SQLITE_OK) {
    return fail(errc::cannot_open, fmt::format("cannot open database '{}': {}", path,
                                               raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  try {
    sqlite3_busy_timeout(db.get(), opt.busy_timeout_ms);
    sqlite3_extended_result_codes(db.get(), 1);
    db.exec("PRAGMA foreign_keys = ON");
    if (path != ":memory:" && !opt.read_only) db.exec("PRAGMA journal_mode = WAL");
    sqlite3_wal_autocheckpoint(db.get(), opt.wal_autocheckpoint_pages);
    db.exec(opt.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Each mail is a savepoint inside its batch's transaction, and SQLite keeps what the
    // savepoint would roll back (the pages the batch had already changed) in a statement
    // journal, which spills to a temporary file beyond 64 KB: 120 KB a mail, written and
    // thrown away (bench/README.md, section 1). In memory it is never written. Sorts without
    // a LIMIT (CREATE INDEX) and VACUUM's copy would be held in memory too: migrate_to() and
    // compact() set FILE while they run.
    db.exec("PRAGMA temp_store = MEMORY");
  } catch (const sql::sqlite_error& e) {
    if ((e.code & 0xff) == SQLITE_NOTADB) {
      return fail(errc::not_a_database,
                  fmt::format("'{}' is not an SQLite database ({}): check [database] path", path,
                              e.what()));
    }
    return fail(errc::cannot_open, fmt::format("cannot open database '{}': {}", path, e.what()));
  }
  auto p = std::make_unique<impl>();
  p->db = std::move(db);
  p->opt = opt;
  store s(std::move(p));
  if (opt.migrate && !opt.read_only) {
    auto m = s.migrate();
    if (!m) return m.error();
  }
  return s;
}

result<int, errc> checkpoint_wal(store& s) {
  if (on_postgres(s)) return 0;
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    // SQLITE_BUSY: another connection is checkpointing. In memory (no WAL): -1 pages.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      throw sql::sqlite_error(rc, std::string("checkpoint: ") + sqlite3_errmsg(db.get()));
    }
    return copied > 0 ? copied : 0;
  });
}

result<void, errc> set_page_cache(store& s, int mib) {
  if (on_postgres(s)) return {};
  return guarded([&]() -> result<void, errc> {
    // Negative: a size in KiB rather than in pages.
    connection_of(s).exec(fmt::format("PRAGMA cache_size = -{}", std::int64_t{mib} * 1024).c_str());
    return {};
  });
}

result<int, errc> store::version() {
  return guarded([&]() -> result<int, errc> {
    if (p_->db.postgres()) return pg::version_of(*connection_of(*this).pg());
    sql::statement st(p_->db, "PRAGMA user_version");
    st.step();
    return static_cast<int>(st.integer(0));
  });
}

result<int, errc> store::migrate() { return migrate_to(schema_version()); }

result<int, errc> store::migrate_to(int target) {
  auto v = version();
  if (!v) return v.error();
  int current = *v;
  if (p_->db.postgres()) {
    // PostgreSQL's migrations run at open, all at once, under the schema lock.
    if (target == current) return target;
    return fail(errc::migration,
                fmt::format("PostgreSQL databases migrate only to the newest schema ({}), at open",
                            current));
  }
  const auto& list = migrations();
  if (current > static_cast<int>(list.size())) {
    return fail(
        errc::migration,
        fmt::format(
            "the database has schema version {}, newer than this helpdeskd ({}): upgrade helpdeskd",
            current, list.size()));
  }
  if (target < current || target > static_cast<int>(list.size())) {
    return fail(errc::migration,
                fmt::format("cannot migrate from schema version {} to {}", current, target));
  }
  // A migration may sort a whole table (CREATE INDEX) or rebuild the full-text index: its
  // temporary data goes to files, as SQLite's default would.
  try {
    if (current < target) p_->db.exec("PRAGMA temp_store = FILE");
  } catch (const sql::sqlite_error& e) {
    return fail(errc::migration, fmt::format("temp_store: {}", e.what()));
  }
  for (int i = current; i < target; ++i) {
    try {
      sql::transaction tx(p_->db);
      p_->db.exec(list[i].sql);
      p_->db.exec(fmt::format("PRAGMA user_version = {}", i + 1).c_str());
      tx.commit();
    } catch (const sql::sqlite_error& e) {
      return fail(errc::migration,
                  fmt::format("migration {} ({}) failed: {}", i + 1, list[i].name, e.what()));
    }
  }
  try {
    if (current < target) p_->db.exec("PRAGMA temp_store = MEMORY");
    enable_deferred_index(p_->db, p_->opt.search_window_messages);
  } catch (const sql::sqlite_error& e) {
    return fail(errc::migration, fmt::format("full-text index: {}", e.what()));
  }
  return target;
}

}  // namespace hd::storage
