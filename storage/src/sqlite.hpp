#pragma once
// Move-only RAII owners of sqlite3 handles, private to storage (no sqlite3 type leaves this
// module). Every statement is prepared; values only ever reach SQL as bound parameters.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace hd::storage::sql {

/// Thrown inside storage only; the public verbs turn it into an hd::result error.
struct sqlite_error : std::runtime_error {
  sqlite_error(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;
};

class connection {
 public:
  connection() = default;
  explicit connection(sqlite3* db) : db_(db) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  connection& operator=(connection&& o) noexcept {
    if (this != &o) {
      close();
      db_ = std::exchange(o.db_, nullptr);
    }
    return *this;
  }
  ~connection() { close(); }

  sqlite3* get() const { return db_; }
  /// Runs SQL with no parameters and no result rows (DDL, PRAGMA, BEGIN/COMMIT).
  void exec(const char* sql) const;
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }

 private:
  void close() noexcept;
  sqlite3* db_ = nullptr;
};

class statement {
 public:
  statement(const connection& c, std::string_view sql);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& o) noexcept : st_(std::exchange(o.st_, nullptr)), db_(o.db_) {}
  ~statement() {
    if (st_ != nullptr) sqlite3_finalize(st_);
  }

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

  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  std::int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }
  double real(int col) const { return sqlite3_column_double(st_, col); }
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
};

/// A transaction rolled back on destruction unless committed (BEGIN IMMEDIATE: the write lock
/// is taken up front, so a busy database fails at BEGIN rather than half-way through).
class transaction {
 public:
  explicit transaction(const connection& c) : c_(c) { c_.exec("BEGIN IMMEDIATE"); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();
  void commit() {
    c_.exec("COMMIT");
    done_ = true;
  }

 private:
  const connection& c_;
  bool done_ = false;
};

}  // namespace hd::storage::sql
