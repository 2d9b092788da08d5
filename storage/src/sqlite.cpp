#include "sqlite.hpp"

#include <fmt/format.h>

namespace hd::storage::sql {

void connection::exec(const char* sql) const {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw sqlite_error(rc, msg);
  }
}

void connection::close() noexcept {
  if (db_ != nullptr) {
    // sqlite3_close_v2 defers the close until every statement is finalized.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

statement::statement(const connection& c, std::string_view sql) : db_(c.get()) {
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &st_, nullptr);
  if (rc != SQLITE_OK) throw sqlite_error(rc, fmt::format("{} in: {}", sqlite3_errmsg(db_), sql));
}

void statement::check(int rc) const {
  if (rc != SQLITE_OK) throw sqlite_error(rc, sqlite3_errmsg(db_));
}

statement& statement::bind(int i, std::int64_t v) {
  check(sqlite3_bind_int64(st_, i, v));
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  check(sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

statement& statement::bind_blob(int i, std::string_view v) {
  check(sqlite3_bind_blob64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_null(int i) {
  check(sqlite3_bind_null(st_, i));
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw sqlite_error(rc, sqlite3_errmsg(db_));
}

void statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(st_, col);
  int n = sqlite3_column_bytes(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

transaction::~transaction() {
  if (!done_) {
    char* err = nullptr;
    sqlite3_exec(c_.get(), "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
  }
}

}  // namespace hd::storage::sql
