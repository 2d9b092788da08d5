#pragma once
// The database connection every storage verb uses, private to storage (no sqlite3 or libpq
// type leaves this module). It is SQLite's (a sqlite3 handle) or PostgreSQL's (pg.hpp's
// connection), chosen when the store opens; a verb's code is the same for both, and its SQL
// is written once in the dialect both accept (RETURNING, ON CONFLICT, IS NOT DISTINCT FROM;
// see docs/scale-out.md), with postgres() picking the few spellings that differ. Every
// statement is prepared; values only ever reach SQL as bound parameters.

#include "pg.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace hd::storage::sql {

/// Thrown inside storage only; the public verbs turn it into an hd::result error.
struct sqlite_error : std::runtime_error {
  sqlite_error(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;
};

class statement;

using pg::pg_error;
using pg::planning;

/// One connection, SQLite or PostgreSQL. On SQLite it keeps the statements it prepared for
/// reuse (keyed by their SQL): a verb that runs thousands of times prepares each of its
/// statements once, not every time (preparing costs as much as running a small INSERT);
/// pg::connection does the same server-side. Not thread-safe, like sqlite3 and PGconn: one
/// connection per thread.
class connection {
 public:
  connection() = default;
  explicit connection(sqlite3* db) : db_(db) {}
  explicit connection(pg::connection c) : pg_(std::make_unique<pg::connection>(std::move(c))) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)),
        pg_(std::move(o.pg_)),
        cache_(std::move(o.cache_)),
        depth_(o.depth_),
        before_commit_(std::move(o.before_commit_)) {}
  connection& operator=(connection&& o) noexcept {
    if (this != &o) {
      close();
      db_ = std::exchange(o.db_, nullptr);
      pg_ = std::move(o.pg_);
      cache_ = std::move(o.cache_);
      depth_ = o.depth_;
      before_commit_ = std::move(o.before_commit_);
    }
    return *this;
  }
  ~connection() { close(); }

  /// True on PostgreSQL. Verbs ask only where the two dialects cannot share one spelling.
  bool postgres() const { return pg_ != nullptr; }
  /// SQLITE or PG: for the few expressions the two dialects spell differently.
  const char* pick(const char* sqlite, const char* pg) const { return pg_ ? pg : sqlite; }
  /// The SQLite handle (nullptr on PostgreSQL), for what only SQLite has (FTS5, backup).
  sqlite3* get() const { return db_; }
  /// The PostgreSQL connection (nullptr on SQLite).
  pg::connection* pg() const { return pg_.get(); }
  /// False once a PostgreSQL connection is lost (the store opens a new one before its next
  /// verb); always true on SQLite.
  bool ok() const { return pg_ == nullptr || pg_->ok(); }
  /// Runs SQL with no parameters and no result rows (DDL, PRAGMA, BEGIN/COMMIT).
  void exec(const char* sql) const;
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const { return pg_ ? static_cast<int>(pg_->changes()) : sqlite3_changes(db_); }
  /// Transactions open on this connection (the outermost is BEGIN, the inner ones savepoints).
  int depth() const { return pg_ ? pg_->depth() : depth_; }
  /// True while an outermost transaction is really open in SQLite. An I/O error, a full disk
  /// or SQLITE_BUSY can roll it back on their own; depth() alone does not see that.
  bool in_transaction() const {
    return pg_ ? pg_->in_transaction() : db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
  }
  /// Work run inside every outermost transaction just before its COMMIT (storage's deferred
  /// full-text indexing). If it throws, the commit does not happen. SQLite only: PostgreSQL's
  /// search column needs no such step.
  void set_before_commit(std::function<void(const connection&)> f) const {
    before_commit_ = std::move(f);
  }

 private:
  friend class statement;
  friend class transaction;
  /// Looked up by the SQL's string_view, so finding a statement allocates nothing.
  struct sql_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using cache = std::unordered_map<std::string, sqlite3_stmt*, sql_hash, std::equal_to<>>;
  /// Statements kept at most: SQL built at run time (IN lists) must not grow the cache forever.
  static constexpr std::size_t max_cached = 256;

  void close() noexcept;
  sqlite3* db_ = nullptr;
  std::unique_ptr<pg::connection> pg_;
  mutable cache cache_;
  mutable int depth_ = 0;
  mutable std::function<void(const connection&)> before_commit_;
};

/// A prepared statement, taken from its connection's cache (or prepared) and given back,
/// reset and with its bindings cleared, when it goes out of scope. It must not outlive its
/// connection. On PostgreSQL it forwards to a pg::statement.
class statement {
 public:
  /// WHEN matters on PostgreSQL only (pg::planning); SQLite plans a statement as it is prepared.
  statement(const connection& c, std::string_view sql, planning when = planning::once);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& o) noexcept
      : st_(std::exchange(o.st_, nullptr)),
        db_(o.db_),
        conn_(std::exchange(o.conn_, nullptr)),
        node_(std::move(o.node_)),
        pg_(std::move(o.pg_)) {}
  ~statement();

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, std::string_view v);
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind_blob(int i, std::string_view v);
  statement& bind_null(int i);
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /// Advances to the next row; false when done. Throws sqlite_error on failure.
  bool step();
  /// Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }
  void reset();

  bool is_null(int col) const {
    return pg_ ? pg_->is_null(col) : sqlite3_column_type(st_, col) == SQLITE_NULL;
  }
  std::int64_t integer(int col) const {
    return pg_ ? pg_->integer(col) : sqlite3_column_int64(st_, col);
  }
  double real(int col) const { return pg_ ? pg_->real(col) : sqlite3_column_double(st_, col); }
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
  std::optional<std::int64_t> opt_integer(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(integer(col));
  }

 private:
  void check(int rc) const;
  sqlite3_stmt* st_ = nullptr;
  sqlite3* db_ = nullptr;
  const connection* conn_ = nullptr;
  connection::cache::node_type node_;  ///< the cache entry (its SQL) while the statement is out
  std::unique_ptr<pg::statement> pg_;  ///< the statement on PostgreSQL (st_ stays null)
};

/// Runs ST, an INSERT ... RETURNING id, and gives the id of the row it made; nullopt when it
/// made none (ON CONFLICT DO NOTHING). Both backends: SQLite has RETURNING since 3.35.
std::optional<std::int64_t> inserted_id(statement& st);
/// As inserted_id, for an INSERT that always makes its row.
std::int64_t new_id(statement& st);

/// A transaction rolled back on destruction unless committed (on SQLite BEGIN IMMEDIATE: the
/// write lock is taken up front, so a busy database fails at BEGIN rather than half-way
/// through; PostgreSQL locks rows as it goes).
/// Inside another transaction on the same connection it is a savepoint: its commit releases
/// the savepoint (the outer transaction commits for real), its rollback undoes only its own
/// work. That lets a batch of verbs share one commit (one fsync) without any verb knowing.
class transaction {
 public:
  explicit transaction(const connection& c);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();
  void commit();

 private:
  const connection& c_;
  bool nested_ = false;
  bool done_ = false;
  std::optional<pg::transaction> pg_;  ///< on PostgreSQL, pg.hpp's (the same rules)
};

}  // namespace hd::storage::sql
