#pragma once
// Move-only RAII owners of libpq handles, private to storage (no libpq type leaves this
// module): the PostgreSQL twin of sqlite.hpp, with the same shape so a verb's SQL code reads
// the same on both backends (issue 18; docs/scale-out.md). Statements use SQLite's `?N` and
// `?` placeholders; they are rewritten to PostgreSQL's `$N` once, when first prepared.

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hd::storage::pg {

/// True for the SQLSTATEs that mean "try again later, nothing was written": connection
/// trouble (class 08), serialization failure (40001), deadlock (40P01), the server shutting
/// down or starting (57P01, 57P02, 57P03) and too many connections (53300). Everything else
/// (constraint violations, syntax errors, bad data) is permanent: retrying repeats it.
bool is_temporary(std::string_view sqlstate);

/// Thrown inside storage only, like sqlite_error. `sqlstate` is the server's five-character
/// code; a lost connection that carried no code reports 08006 (connection_failure).
struct pg_error : std::runtime_error {
  pg_error(std::string sqlstate, const std::string& what)
      : std::runtime_error(what), sqlstate(std::move(sqlstate)) {}
  bool temporary() const { return is_temporary(sqlstate); }
  std::string sqlstate;
};

/// Rewrites SQLite placeholders to PostgreSQL's: `?N` becomes `$N`, a bare `?` becomes one
/// more than the highest number used before it (SQLite's rule). Text inside '...' literals,
/// "..." identifiers and comments is left alone. `params` receives the highest number.
std::string translate_placeholders(std::string_view sql, int& params);
/// The same, and TYPES gets one entry per parameter: 0 (the server infers it) for those the
/// text uses, text's OID for numbers it skips (SQL built from parts binds fixed numbers and
/// leaves some out; the server cannot infer a type for a parameter it never sees).
std::string translate_placeholders(std::string_view sql, int& params, std::vector<Oid>& types);

class statement;

/// One PostgreSQL connection (libpq, blocking). It prepares each SQL text once, server-side,
/// and remembers the name it gave it (keyed by the SQL), at most max_cached of them. Not
/// thread-safe, like PGconn itself: one connection per thread.
class connection {
 public:
  connection() = default;
  /// Connects to a libpq URL or conninfo string (postgresql://user@host:port/db). Throws
  /// pg_error when the server cannot be reached or refuses (temporary() tells which).
  static connection open(const std::string& url);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&& o) noexcept { *this = std::move(o); }
  connection& operator=(connection&& o) noexcept;
  ~connection() { close(); }

  PGconn* get() const { return db_; }
  /// False once the connection is lost; every later call throws a temporary pg_error. The
  /// caller reopens (the retry policy is not this class's business).
  bool ok() const { return db_ != nullptr && !broken_ && PQstatus(db_) == CONNECTION_OK; }
  /// Runs SQL with no parameters (DDL, BEGIN/COMMIT; several statements separated by `;`).
  /// Deferred commands (defer()) go first, in the same round trip.
  void exec(const char* sql) const;
  /// Queues a command that returns nothing and is not expected to fail (SAVEPOINT and RELEASE
  /// inside a transaction): it is sent with the next statement or exec(), in one round trip
  /// (a libpq pipeline), instead of waiting for its own. A mail's unit of work is a savepoint
  /// inside the batch's transaction, so this saves two of its round trips. An error it causes
  /// is reported by that next call.
  void defer(const char* command) const { deferred_.push_back(command); }
  /// Rows changed by the last statement run through statement::step/run.
  std::int64_t changes() const { return changes_; }
  /// Transactions open on this connection (the outermost is BEGIN, the inner ones savepoints).
  int depth() const { return depth_; }
  /// True while a transaction is open on the server (also when it failed and awaits ROLLBACK).
  bool in_transaction() const {
    return db_ != nullptr && PQtransactionStatus(db_) != PQTRANS_IDLE &&
           PQtransactionStatus(db_) != PQTRANS_UNKNOWN;
  }
  /// Work run inside every outermost transaction just before its COMMIT, as in sqlite.hpp.
  void set_before_commit(std::function<void(const connection&)> f) const {
    before_commit_ = std::move(f);
  }

 private:
  friend class statement;
  friend class transaction;
  struct prepared {
    std::string name;  ///< server-side name, hd_1, hd_2, ...
    int params = 0;
  };
  /// Statements kept at most: SQL built at run time (IN lists) must not grow the cache (and
  /// the server's memory) forever. Beyond it statements run unprepared (PQexecParams).
  static constexpr std::size_t max_cached = 256;

  void close() noexcept;
  /// The deferred commands, then SQL, as one simple query's text; the queue is emptied.
  std::string after_deferred(std::string_view sql) const;
  /// Sends the deferred commands, then what SEND sends, as one pipeline and one sync, and
  /// returns the result of SEND's query (the first error of any of them is thrown).
  PGresult* pipelined(const std::function<int()>& send, std::string_view context) const;
  PGconn* db_ = nullptr;
  mutable std::vector<const char*> deferred_;
  mutable bool broken_ = false;  ///< a pipeline could not be finished: reconnect
  mutable std::unordered_map<std::string, prepared> cache_;
  mutable int next_name_ = 0;
  mutable int depth_ = 0;
  mutable std::int64_t changes_ = 0;
  mutable std::function<void(const connection&)> before_commit_;
};

/// When PostgreSQL plans a statement. A prepared statement is planned for its parameters'
/// values the first five times and may then keep a generic plan, made without them; that
/// plan guesses how many rows a full-text query matches (a word in most of the mail and a
/// rare one look alike), so a statement whose best plan depends on its values is planned
/// each time it runs instead (sent unprepared: PQexecParams).
enum class planning { once, each_call };

/// A statement: its parameters are collected by bind(), the first step() sends them and
/// fetches the whole result; later step()s walk its rows. Column numbers start at 0 and
/// parameter numbers at 1, as in SQLite. It must not outlive its connection.
class statement {
 public:
  statement(const connection& c, std::string_view sql, planning when = planning::once);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&&) noexcept = default;
  ~statement() = default;

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  /// Text goes as text; PostgreSQL text cannot hold a NUL byte, so one throws pg_error 22021.
  statement& bind(int i, std::string_view v);
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  /// Bytes for a bytea parameter, sent in binary: any byte value, NUL included.
  statement& bind_blob(int i, std::string_view v);
  statement& bind_null(int i);
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /// Advances to the next row; false when done. Throws pg_error on failure.
  bool step();
  /// Runs a statement that returns no rows (or ignores them).
  void run() {
    while (step()) {
    }
  }
  /// Forgets the result and the bindings, ready to run again.
  void reset();

  bool is_null(int col) const;
  /// An integer column (int2/int4/int8/bool); a text column holding a number is parsed.
  std::int64_t integer(int col) const;
  double real(int col) const;
  /// The column's bytes: text as UTF-8, bytea as raw bytes, numbers in decimal.
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
  std::optional<std::int64_t> opt_integer(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(integer(col));
  }

 private:
  struct result_free {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  void execute();
  void set(int i, std::optional<std::string> v, int format);
  std::string_view raw(int col) const;

  const connection* conn_ = nullptr;
  std::string sql_;         ///< translated ($N) SQL, used when not prepared
  std::vector<Oid> types_;  ///< parameter types, used when not prepared
  std::string name_;        ///< prepared name, empty when the cache was full
  int params_ = 0;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;  ///< 0 text, 1 binary (bytea)
  std::unique_ptr<PGresult, result_free> res_;
  int row_ = -1;
};

/// A transaction rolled back on destruction unless committed. Inside another transaction on
/// the same connection it is a savepoint, exactly as sqlite.hpp's: its commit releases the
/// savepoint, its rollback undoes only its own work.
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
};

}  // namespace hd::storage::pg
