#include "pg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace hd::storage::pg {
namespace {

constexpr Oid bool_oid = 16;
constexpr Oid bytea_oid = 17;

// libpq reports a broken connection without a SQLSTATE; the server's own FATAL (57P01 on
// pg_terminate_backend, for one) may arrive first and carry one.
std::string state_of(const PGresult* r, const PGconn* db) {
  const char* s = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (s != nullptr && *s != '\0') return s;
  if (db == nullptr || PQstatus(db) != CONNECTION_OK) return "08006";
  return "XX000";  // internal_error: libpq failed without the server saying why
}

std::string message_of(const PGresult* r, const PGconn* db) {
  std::string m = r != nullptr ? PQresultErrorMessage(r) : "";
  if (m.empty() && db != nullptr) m = PQerrorMessage(db);
  if (m.empty()) m = "no connection";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

[[noreturn]] void fail(const PGresult* r, const PGconn* db, std::string_view context = {}) {
  std::string msg = message_of(r, db);
  if (!context.empty()) msg = fmt::format("{} in: {}", msg, context);
  throw pg_error(state_of(r, db), msg);
}

void check(PGresult* r, const PGconn* db, std::string_view context = {}) {
  auto st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
  std::unique_ptr<PGresult, void (*)(PGresult*)> owner(r, PQclear);
  fail(r, db, context);
}

// Notices ("there is no transaction in progress") would go to stderr; storage has no log.
void ignore_notice(void*, const PGresult*) {}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in text results is "\x" and two hex digits a byte (bytea_output = hex, the default
// since 9.0 and forced at connect).
std::string unhex(std::string_view s) {
  if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2 != 0) {
    throw pg_error("22P03", "bytea column not in hex format");
  }
  std::string out;
  out.reserve((s.size() - 2) / 2);
  for (std::size_t i = 2; i < s.size(); i += 2) {
    int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0) throw pg_error("22P03", "bad hex digit in bytea column");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

bool is_temporary(std::string_view s) {
  if (s.size() != 5) return false;
  return s.substr(0, 2) == "08" || s == "40001" || s == "40P01" || s == "57P01" || s == "57P02" ||
         s == "57P03" || s == "53300";
}

std::string translate_placeholders(std::string_view sql, int& params) {
  std::vector<Oid> types;
  return translate_placeholders(sql, params, types);
}

std::string translate_placeholders(std::string_view sql, int& params, std::vector<Oid>& types) {
  constexpr Oid text_oid = 25;
  std::vector<bool> used;
  std::string out;
  out.reserve(sql.size() + 8);
  params = 0;
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {  // copies through the next `end` (or all)
    std::size_t e = sql.find(end, i);
    e = e == std::string_view::npos ? sql.size() : e + end.size();
    out.append(sql.substr(i, e - i));
    i = e;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A doubled quote inside ('it''s') just ends one literal and starts the next.
      out.push_back(c);
      ++i;
      copy_until(std::string_view(&c, 1));
    } else if (sql.substr(i, 2) == "--") {
      copy_until("\n");
    } else if (sql.substr(i, 2) == "/*") {
      copy_until("*/");
    } else if (c == '?') {
      std::size_t j = i + 1;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
      int n = params + 1;
      if (j > i + 1) std::from_chars(sql.data() + i + 1, sql.data() + j, n);
      params = std::max(params, n);
      if (n > 0) {
        if (used.size() < static_cast<std::size_t>(n)) used.resize(static_cast<std::size_t>(n));
        used[static_cast<std::size_t>(n - 1)] = true;
      }
      out += fmt::format("${}", n);
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  used.resize(static_cast<std::size_t>(params));
  types.assign(static_cast<std::size_t>(params), 0);
  for (std::size_t k = 0; k < used.size(); ++k) {
    if (!used[k]) types[k] = text_oid;
  }
  return out;
}

connection connection::open(const std::string& url) {
  // expand_dbname: the first dbname value may be a whole URL; the later keys override it.
  const char* keys[] = {"dbname", "client_encoding", "application_name", "options", nullptr};
  const char* values[] = {url.c_str(), "UTF8", "helpdeskd", "-c bytea_output=hex", nullptr};
  connection c;
  c.db_ = PQconnectdbParams(keys, values, 1);
  if (c.db_ == nullptr) throw pg_error("08001", "out of memory connecting to PostgreSQL");
  if (PQstatus(c.db_) != CONNECTION_OK) {
    std::string m = message_of(nullptr, c.db_);
    // libpq does not say whether the server refused us (bad password: permanent) or could not
    // be reached (temporary); both are "could not connect" (08001) for now.
    throw pg_error("08001", m);
  }
  PQsetNoticeReceiver(c.db_, ignore_notice, nullptr);
  return c;
}

connection& connection::operator=(connection&& o) noexcept {
  if (this != &o) {
    close();
    db_ = std::exchange(o.db_, nullptr);
    cache_ = std::move(o.cache_);
    next_name_ = o.next_name_;
    depth_ = std::exchange(o.depth_, 0);
    deferred_ = std::move(o.deferred_);
    broken_ = std::exchange(o.broken_, false);
    changes_ = o.changes_;
    before_commit_ = std::move(o.before_commit_);
  }
  return *this;
}

void connection::close() noexcept {
  cache_.clear();  // prepared statements live in the server session and die with it
  if (db_ != nullptr) PQfinish(std::exchange(db_, nullptr));
}

std::string connection::after_deferred(std::string_view sql) const {
  // One simple query: its commands run in order and the first error stops the rest.
  std::string all;
  for (const char* d : std::exchange(deferred_, {})) all.append(d).append("; ");
  all += sql;  // may be empty: only the deferred commands
  return all;
}

void connection::exec(const char* sql) const {
  if (!ok()) fail(nullptr, db_, sql);
  std::string all = after_deferred(sql);
  PGresult* r = PQexec(db_, all.c_str());
  check(r, db_, all);
  PQclear(r);
}

PGresult* connection::pipelined(const std::function<int()>& send, std::string_view context) const {
  std::vector<const char*> first = std::exchange(deferred_, {});
  if (PQenterPipelineMode(db_) != 1) fail(nullptr, db_, context);
  bool sent = true;
  for (const char* d : first) {
    sent = sent && PQsendQueryParams(db_, d, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  sent = sent && send() == 1 && PQpipelineSync(db_) == 1;
  std::unique_ptr<PGresult, void (*)(PGresult*)> wanted(nullptr, PQclear), error(nullptr, PQclear);
  std::string error_context;
  // Every query's results up to its NULL, then the sync; anything else leaves the connection
  // in a state no later call can use, so it is marked broken (the store reconnects).
  for (std::size_t q = 0; sent && q <= first.size(); ++q) {
    PGresult* r = PQgetResult(db_);
    if (r == nullptr) {
      sent = false;
      break;
    }
    auto st = PQresultStatus(r);
    if (st == PGRES_FATAL_ERROR && !error) {
      error.reset(r);
      error_context = q < first.size() ? first[q] : context;
    } else if (q == first.size() && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
      wanted.reset(r);
    } else {
      PQclear(r);
    }
    while (PGresult* more = PQgetResult(db_)) PQclear(more);
  }
  PGresult* sync = sent ? PQgetResult(db_) : nullptr;
  bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || PQexitPipelineMode(db_) != 1) {
    broken_ = true;
    if (!error) throw pg_error("08006", fmt::format("the pipeline did not finish in: {}", context));
  }
  if (error) fail(error.get(), db_, error_context);
  if (!wanted) fail(nullptr, db_, context);
  return wanted.release();
}

statement::statement(const connection& c, std::string_view sql, planning when) : conn_(&c) {
  if (!c.ok()) fail(nullptr, c.db_, sql);
  auto it = when == planning::once ? c.cache_.find(std::string(sql)) : c.cache_.end();
  if (it != c.cache_.end()) {
    name_ = it->second.name;
    params_ = it->second.params;
  } else {
    sql_ = translate_placeholders(sql, params_, types_);
    if (when == planning::once && c.cache_.size() < connection::max_cached) {
      // A savepoint still waiting must be in place first: a statement that fails to prepare
      // fails the transaction, and only the savepoint lets the caller undo just its part.
      if (!c.deferred_.empty()) c.exec("");
      std::string name = fmt::format("hd_{}", ++c.next_name_);
      PGresult* r = PQprepare(c.db_, name.c_str(), sql_.c_str(), params_, types_.data());
      check(r, c.db_, sql);
      PQclear(r);
      c.cache_.emplace(std::string(sql), connection::prepared{name, params_});
      name_ = std::move(name);
    }
  }
  values_.resize(static_cast<std::size_t>(params_));
  formats_.assign(static_cast<std::size_t>(params_), 0);
}

void statement::set(int i, std::optional<std::string> v, int format) {
  if (i < 1 || i > params_) {
    throw pg_error("08P01",
                   fmt::format("parameter {} out of range (statement has {})", i, params_));
  }
  values_[static_cast<std::size_t>(i - 1)] = std::move(v);
  formats_[static_cast<std::size_t>(i - 1)] = format;
}

statement& statement::bind(int i, std::int64_t v) {
  set(i, std::to_string(v), 0);
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  if (v.find('\0') != std::string_view::npos) {
    throw pg_error("22021", fmt::format("parameter {}: text holds a NUL byte", i));
  }
  set(i, std::string(v), 0);
  return *this;
}

statement& statement::bind_blob(int i, std::string_view v) {
  set(i, std::string(v), 1);
  return *this;
}

statement& statement::bind_null(int i) {
  set(i, std::nullopt, 0);
  return *this;
}

void statement::execute() {
  PGconn* db = conn_->db_;
  if (!conn_->ok()) fail(nullptr, db);
  std::vector<const char*> values(values_.size());
  std::vector<int> lengths(values_.size());
  for (std::size_t k = 0; k < values_.size(); ++k) {
    values[k] = values_[k] ? values_[k]->data() : nullptr;
    lengths[k] = values_[k] ? static_cast<int>(values_[k]->size()) : 0;
  }
  // Results come as text (one code path for every column type; bytea is hex-decoded).
  std::string_view context = name_.empty() ? std::string_view(sql_) : std::string_view(name_);
  PGresult* r = nullptr;
  if (!conn_->deferred_.empty()) {
    r = conn_->pipelined(
        [&] {
          return name_.empty()
                     ? PQsendQueryParams(db, sql_.c_str(), params_, types_.data(), values.data(),
                                         lengths.data(), formats_.data(), 0)
                     : PQsendQueryPrepared(db, name_.c_str(), params_, values.data(),
                                           lengths.data(), formats_.data(), 0);
        },
        context);
  } else {
    r = name_.empty() ? PQexecParams(db, sql_.c_str(), params_, types_.data(), values.data(),
                                     lengths.data(), formats_.data(), 0)
                      : PQexecPrepared(db, name_.c_str(), params_, values.data(), lengths.data(),
                                       formats_.data(), 0);
    check(r, db, context);
  }
  res_.reset(r);
  const char* n = PQcmdTuples(r);
  conn_->changes_ = (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
}

bool statement::step() {
  if (!res_) execute();
  ++row_;
  return row_ < PQntuples(res_.get());
}

void statement::reset() {
  res_.reset();
  row_ = -1;
  for (auto& v : values_) v.reset();
  formats_.assign(formats_.size(), 0);
}

bool statement::is_null(int col) const { return PQgetisnull(res_.get(), row_, col) != 0; }

std::string_view statement::raw(int col) const {
  return {PQgetvalue(res_.get(), row_, col),
          static_cast<std::size_t>(PQgetlength(res_.get(), row_, col))};
}

std::int64_t statement::integer(int col) const {
  if (is_null(col)) return 0;  // as sqlite3_column_int64
  std::string_view s = raw(col);
  if (PQftype(res_.get(), col) == bool_oid) return s == "t" ? 1 : 0;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) throw pg_error("22P02", fmt::format("column {} is not an integer", col));
  return v;
}

double statement::real(int col) const {
  if (is_null(col)) return 0;
  return std::strtod(std::string(raw(col)).c_str(), nullptr);
}

std::string statement::text(int col) const {
  if (is_null(col)) return {};
  if (PQftype(res_.get(), col) == bytea_oid) return unhex(raw(col));
  return std::string(raw(col));
}

transaction::transaction(const connection& c) : c_(c), nested_(c.depth_ > 0) {
  // A savepoint goes out with the next statement (connection::defer); BEGIN is sent now, so
  // in_transaction() tells the truth.
  if (nested_) {
    if (!c_.ok()) fail(nullptr, c_.get(), "SAVEPOINT hd_nested");
    c_.defer("SAVEPOINT hd_nested");
  } else {
    c_.exec("BEGIN");
  }
  ++c_.depth_;
}

void transaction::commit() {
  if (!nested_ && c_.before_commit_) c_.before_commit_(c_);
  if (nested_) {
    c_.defer("RELEASE hd_nested");
  } else {
    c_.exec("COMMIT");
  }
  done_ = true;
  --c_.depth_;
}

transaction::~transaction() {
  if (done_) return;
  --c_.depth_;
  // Errors are ignored: on a lost connection the server has rolled back already, and a
  // destructor cannot report.
  if (!c_.ok()) return;
  if (!nested_) c_.deferred_.clear();  // nothing queued inside survives the rollback
  // Deferred commands go first: the savepoint this undoes may not have been sent yet.
  std::string undo =
      c_.after_deferred(nested_ ? "ROLLBACK TO hd_nested; RELEASE hd_nested" : "ROLLBACK");
  PQclear(PQexec(c_.get(), undo.c_str()));
}

}  // namespace hd::storage::pg
