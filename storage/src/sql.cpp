#include "sql.hpp"

#include <fmt/format.h>

namespace hd::storage::sql {

void connection::exec(const char* sql) const {
  if (pg_) {
    pg_->exec(sql);
    return;
  }
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw sqlite_error(rc, msg);
  }
}

void connection::close() noexcept {
  pg_.reset();
  for (auto& [sql, st] : cache_) sqlite3_finalize(st);
  cache_.clear();
  if (db_ != nullptr) {
    // sqlite3_close_v2 defers the close until every statement is finalized.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

statement::statement(const connection& c, std::string_view sql, planning when)
    : db_(c.get()), conn_(&c) {
  if (c.pg_) {
    pg_ = std::make_unique<pg::statement>(*c.pg_, sql, when);
    return;
  }
  // Taken out of the cache while in use, so the same SQL used twice at once (a nested
  // lookup) gets a second statement instead of sharing one.
  auto it = c.cache_.find(sql);
  if (it != c.cache_.end()) {
    node_ = c.cache_.extract(it);
    st_ = node_.mapped();
    return;
  }
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &st_, nullptr);
  if (rc != SQLITE_OK) throw sqlite_error(rc, fmt::format("{} in: {}", sqlite3_errmsg(db_), sql));
  if (c.cache_.size() < connection::max_cached) {
    node_ = c.cache_.extract(c.cache_.emplace(std::string(sql), nullptr).first);
  }
}

statement::~statement() {
  if (st_ == nullptr) return;
  // A SELECT left half-read would keep its read transaction open: reset before reuse.
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
  if (conn_ != nullptr && !node_.empty() && conn_->cache_.size() < connection::max_cached) {
    node_.mapped() = st_;
    auto r = conn_->cache_.insert(std::move(node_));
    if (r.inserted) return;
  }
  sqlite3_finalize(st_);
}

void statement::check(int rc) const {
  if (rc != SQLITE_OK) throw sqlite_error(rc, sqlite3_errmsg(db_));
}

statement& statement::bind(int i, std::int64_t v) {
  if (pg_) {
    pg_->bind(i, v);
    return *this;
  }
  check(sqlite3_bind_int64(st_, i, v));
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  if (pg_) {
    pg_->bind(i, v);
    return *this;
  }
  check(sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

statement& statement::bind_blob(int i, std::string_view v) {
  if (pg_) {
    pg_->bind_blob(i, v);
    return *this;
  }
  // A null pointer would bind NULL: an empty view is a zero-length blob.
  check(
      sqlite3_bind_blob64(st_, i, v.data() != nullptr ? v.data() : "", v.size(), SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_null(int i) {
  if (pg_) {
    pg_->bind_null(i);
    return *this;
  }
  check(sqlite3_bind_null(st_, i));
  return *this;
}

bool statement::step() {
  if (pg_) return pg_->step();
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw sqlite_error(rc, sqlite3_errmsg(db_));
}

void statement::reset() {
  if (pg_) {
    pg_->reset();
    return;
  }
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string statement::text(int col) const {
  if (pg_) return pg_->text(col);
  const unsigned char* p = sqlite3_column_text(st_, col);
  int n = sqlite3_column_bytes(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

std::optional<std::int64_t> inserted_id(statement& st) {
  if (!st.step()) return std::nullopt;
  std::int64_t id = st.integer(0);
  st.run();
  return id;
}

std::int64_t new_id(statement& st) {
  auto id = inserted_id(st);
  if (!id) throw sqlite_error(SQLITE_INTERNAL, "an INSERT ... RETURNING id made no row");
  return *id;
}

transaction::transaction(const connection& c) : c_(c) {
  if (c.pg_) {
    pg_.emplace(*c.pg_);
    return;
  }
  nested_ = c.depth_ > 0;
  // A mail's unit of work opens several savepoints: prepared once (the cache), not parsed at
  // each as sqlite3_exec does.
  if (nested_) {
    statement(c_, "SAVEPOINT hd_nested").step();
  } else {
    c_.exec("BEGIN IMMEDIATE");
  }
  ++c_.depth_;
}

void transaction::commit() {
  if (pg_) {
    pg_->commit();
    done_ = true;
    return;
  }
  if (!nested_ && c_.before_commit_) c_.before_commit_(c_);
  if (nested_) {
    statement(c_, "RELEASE hd_nested").step();
  } else {
    c_.exec("COMMIT");
  }
  done_ = true;
  --c_.depth_;
}

transaction::~transaction() {
  if (done_ || pg_) return;  // pg_'s own destructor rolls back
  --c_.depth_;
  // Errors are ignored: after an I/O error SQLite may have rolled back already, and a
  // destructor cannot report. The outer batch checks in_transaction() before it commits.
  const char* undo = nested_ ? "ROLLBACK TO hd_nested; RELEASE hd_nested" : "ROLLBACK";
  char* err = nullptr;
  sqlite3_exec(c_.get(), undo, nullptr, nullptr, &err);
  sqlite3_free(err);
}

}  // namespace hd::storage::sql
