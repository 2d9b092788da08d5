// SQLite -> PostgreSQL copy with verification (pg_copy.hpp).
#include "hd/storage/pg_copy.hpp"

#include "hd/common/digest.hpp"
#include "pg.hpp"
#include "schema_pg.hpp"
#include "store_impl.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace hd::storage {
namespace {

// Rows per INSERT: fewer round trips than one row each, far below PostgreSQL's 65,535
// parameters for the widest table (16 columns).
constexpr int k_batch_rows = 100;
// Rows per FETCH when reading PostgreSQL back (a cursor: raw mail must not all sit in memory).
constexpr int k_fetch_rows = 1000;

// Every table, parents before children (foreign keys are checked as rows arrive). A table
// missing here fails the copy, so a new migration cannot be forgotten silently.
const std::vector<std::string>& copy_order() {
  static const std::vector<std::string> order = {"companies",
                                                 "company_domains",
                                                 "persons",
                                                 "person_addresses",
                                                 "users",
                                                 "categories",
                                                 "category_members",
                                                 "priorities",
                                                 "raw_messages",
                                                 "requests",
                                                 "request_tags",
                                                 "messages",
                                                 "attachments",
                                                 "message_attachments",
                                                 "message_addresses",
                                                 "message_defects",
                                                 "mailbox_state",
                                                 "quarantine",
                                                 "outbox",
                                                 "events",
                                                 "favourites",
                                                 "auto_replies",
                                                 "suppressions",
                                                 "mailbox_status",
                                                 "outbox_counts",
                                                 "mailbox_counts",
                                                 "user_passwords",
                                                 "api_tokens",
                                                 "idempotency_keys",
                                                 "request_reads",
                                                 "agent_preferences",
                                                 "webhook_subscriptions",
                                                 "webhook_deliveries"};
  return order;
}

// Derived on each side, not copied: SQLite's full-text index and its queue.
bool derived(const std::string& table) {
  return table == "fts_queue" || table == "fts_windows" || table.rfind("messages_fts", 0) == 0;
}

// Columns that may point at a later row of the same table: inserted as NULL, set afterwards.
const std::map<std::string, std::vector<std::string>>& forward_references() {
  static const std::map<std::string, std::vector<std::string>> refs = {
      {"requests", {"merged_into", "linked_to"}}};
  return refs;
}

struct column {
  std::string name;
  bool integer = false;  // bigint on PostgreSQL
  bool binary = false;   // bytea on PostgreSQL
  /// A message body SQLite may keep as a zstd frame (schema 18): read through hd_text, so
  /// PostgreSQL gets (and keeps, compressing it itself) the text.
  bool packed = false;
};

// "a", "b", ... of COLS, for SELECT and INSERT; with UNPACK (reading SQLite), packed bodies
// as hd_text("body_text").
std::string column_list(const std::vector<column>& cols, bool unpack = false) {
  std::string out;
  for (const column& c : cols) {
    out += out.empty() ? "" : ", ";
    out += unpack && c.packed ? "hd_text(" + quoted(c.name) + ")" : quoted(c.name);
  }
  return out;
}

// The copy's failure, as the result error it becomes.
struct copy_error {
  errc code;
  std::string message;
};

// One value as it enters a row's digest: the same bytes whichever side it was read from.
void digest_value(std::string& row, const column& c, bool null, std::string_view bytes) {
  if (null) {
    row += 'N';
  } else if (c.integer) {
    row += 'I';
    row += bytes;
    row += ';';
  } else {
    row += fmt::format("B{}:", bytes.size());
    row += bytes;
  }
}

std::uint64_t row_digest(const std::string& row) {
  return std::stoull(sha256_hex(row).substr(0, 16), nullptr, 16);
}

class copier {
 public:
  copier(const sql::connection& lite, const pg::connection& pgc,
         const std::function<void(std::string_view)>& progress)
      : lite_(lite), pg_(pgc), progress_(progress) {}

  copy_report run() {
    check_tables();
    // One snapshot of the source, and its write lock: a pipe-mode ingest waits (and then
    // defers to the mail server) rather than change it half-way. Nothing is written to it.
    sql::transaction source(lite_);
    pg::transaction t(pg_);
    make_search_windows();
    for (const std::string& table : copy_order())
      pg_.exec(("ALTER TABLE " + quoted(table) + " DISABLE TRIGGER USER").c_str());
    for (const std::string& table : copy_order()) copy_table(table);
    for (const std::string& table : copy_order())
      pg_.exec(("ALTER TABLE " + quoted(table) + " ENABLE TRIGGER USER").c_str());
    move_sequences();
    verify();
    t.commit();
    // The planner's statistics: without them every table looks like a few hundred rows
    // until autovacuum comes round, and the first lists join every person to every request
    // (207 ms instead of 14 ms at 10,000 requests, bench/README.md). pg_restore's advice
    // after a bulk load, too.
    if (progress_) progress_("analyzing the copied tables (planner statistics)");
    pg_.exec("ANALYZE");
    return report_;
  }

 private:
  // The SQLite tables must be exactly the copy order's (plus the derived ones).
  void check_tables() {
    sql::statement st(lite_, R"(SELECT name FROM sqlite_master WHERE type = 'table'
                                  AND name NOT LIKE 'sqlite_%' ORDER BY name)");
    std::set<std::string> known(copy_order().begin(), copy_order().end());
    while (st.step()) {
      std::string t = st.text(0);
      if (derived(t)) continue;
      if (!known.count(t)) {
        throw copy_error{errc::invalid,
                         fmt::format("db copy: table {} has no place in the copy (this build "
                                     "does not know how to copy it)",
                                     t)};
      }
    }
  }

  // SQLite's stored columns (generated ones are computed again by PostgreSQL), typed by
  // PostgreSQL's column of the same name.
  std::vector<column> columns_of(const std::string& table) {
    std::map<std::string, std::string> pg_types;
    pg::statement types(pg_, R"(SELECT column_name, data_type FROM information_schema.columns
                                 WHERE table_schema = current_schema() AND table_name = ?1)");
    types.bind(1, table);
    while (types.step()) pg_types[types.text(0)] = types.text(1);
    std::vector<column> out;
    sql::statement st(lite_, "SELECT name, hidden FROM pragma_table_xinfo(?1)");
    st.bind(1, table);
    while (st.step()) {
      if (st.integer(1) != 0) continue;  // generated (2, 3) or hidden
      column c;
      c.name = st.text(0);
      auto it = pg_types.find(c.name);
      if (it == pg_types.end()) {
        throw copy_error{errc::invalid,
                         fmt::format("db copy: {}.{} has no column on PostgreSQL", table, c.name)};
      }
      c.integer = it->second == "bigint" || it->second == "integer";
      c.binary = it->second == "bytea";
      c.packed = table == "messages" && (c.name == "body_text" || c.name == "body_html");
      out.push_back(std::move(c));
    }
    return out;
  }

  std::string insert_sql(const std::string& table, const std::vector<column>& cols, int rows) {
    std::string values;
    int n = 0;
    for (int r = 0; r < rows; ++r) {
      values += r == 0 ? "(" : ", (";
      for (std::size_t i = 0; i < cols.size(); ++i)
        values += fmt::format("{}?{}", i == 0 ? "" : ", ", ++n);
      values += ")";
    }
    return fmt::format("INSERT INTO {} ({}) VALUES {}", quoted(table), column_list(cols), values);
  }

  void copy_table(const std::string& table) {
    std::vector<column> cols = columns_of(table);
    const auto refs = forward_references().find(table);
    std::set<std::string> later;
    if (refs != forward_references().end()) later.insert(refs->second.begin(), refs->second.end());
    sql::statement read(lite_, "SELECT " + column_list(cols, true) + " FROM " + quoted(table));
    std::unique_ptr<pg::statement> full;
    std::vector<std::vector<std::optional<std::string>>> pending;  // rows of a batch
    std::int64_t rows = 0;
    std::uint64_t sum = 0;
    std::vector<std::pair<std::string, std::vector<std::optional<std::string>>>> deferred;

    auto flush = [&]() {
      if (pending.empty()) return;
      int n = static_cast<int>(pending.size());
      std::unique_ptr<pg::statement> partial;
      pg::statement* st = nullptr;
      if (n == k_batch_rows) {
        if (!full) full = std::make_unique<pg::statement>(pg_, insert_sql(table, cols, n));
        st = full.get();
      } else {
        partial = std::make_unique<pg::statement>(pg_, insert_sql(table, cols, n));
        st = partial.get();
      }
      int p = 0;
      for (const auto& row : pending) {
        for (std::size_t i = 0; i < cols.size(); ++i) {
          ++p;
          const std::optional<std::string>& v = row[i];
          if (!v || later.count(cols[i].name)) {
            st->bind_null(p);
          } else if (cols[i].binary) {
            st->bind_blob(p, *v);
          } else {
            st->bind(p, *v);  // integers as decimal text: PostgreSQL parses them
          }
        }
      }
      try {
        st->run();
      } catch (const pg::pg_error& e) {
        if (e.temporary()) throw;
        throw copy_error{errc::invalid,
                         fmt::format("db copy: PostgreSQL refused rows {}-{} of {}: {}",
                                     rows - n + 1, rows, table, e.what())};
      }
      st->reset();
      pending.clear();
    };

    while (read.step()) {
      std::vector<std::optional<std::string>> row;
      std::string digest;
      row.reserve(cols.size());
      for (std::size_t i = 0; i < cols.size(); ++i) {
        int i_ = static_cast<int>(i);
        if (read.is_null(i_)) {
          row.emplace_back(std::nullopt);
          digest_value(digest, cols[i], true, {});
          continue;
        }
        std::string v = read.text(i_);  // a BLOB's bytes as they are
        report_.bytes += static_cast<std::int64_t>(v.size());
        digest_value(digest, cols[i], false, v);
        row.emplace_back(std::move(v));
      }
      sum += row_digest(digest);
      ++rows;
      if (!later.empty()) {
        // The id (first column) and the values set after every row is in.
        std::vector<std::optional<std::string>> refs_values;
        for (std::size_t i = 0; i < cols.size(); ++i)
          if (later.count(cols[i].name)) refs_values.push_back(row[i]);
        bool any = std::any_of(refs_values.begin(), refs_values.end(),
                               [](const auto& v) { return v.has_value(); });
        if (any) deferred.emplace_back(*row[0], std::move(refs_values));
      }
      pending.push_back(std::move(row));
      if (static_cast<int>(pending.size()) == k_batch_rows) flush();
    }
    flush();
    if (!deferred.empty()) {
      std::string sets;
      int n = 1;
      for (const std::string& c : refs->second)
        sets += fmt::format("{}{} = ?{}", sets.empty() ? "" : ", ", quoted(c), ++n);
      pg::statement upd(pg_, fmt::format("UPDATE {} SET {} WHERE id = ?1", quoted(table), sets));
      for (const auto& [id, values] : deferred) {
        upd.bind(1, id);
        for (std::size_t i = 0; i < values.size(); ++i)
          upd.bind(static_cast<int>(i) + 2, values[i]);
        upd.run();
        upd.reset();
      }
    }
    columns_[table] = cols;
    expected_[table] = {rows, sum};
    report_.rows += rows;
    if (progress_) progress_(fmt::format("{}: {} rows copied", table, rows));
  }

  // The search index's windows (schema 22) for every message id to be copied and one window
  // beyond, made while the table is empty (each is an index build, which scans the table):
  // the rows then go into them as they are copied. Windows of the setting's default size; a
  // daemon makes the later ones with its own.
  void make_search_windows() {
    sql::statement top(lite_, "SELECT COALESCE(MAX(id), 0) FROM messages");
    std::int64_t last = top.step() ? top.integer(0) : 0;
    std::int64_t size = open_options{}.search_window_messages;
    pg::statement st(pg_,
                     "SELECT hd_search_windows_ensure(CAST(?1 AS BIGINT), CAST(?2 AS BIGINT))");
    st.bind(1, size).bind(2, last + size);
    st.run();
  }

  // Identity columns continue after the largest id copied.
  void move_sequences() {
    pg::statement ids(pg_, R"(SELECT table_name FROM information_schema.columns
                               WHERE table_schema = current_schema() AND column_name = 'id'
                                 AND is_identity = 'YES')");
    std::vector<std::string> tables;
    while (ids.step()) tables.push_back(ids.text(0));
    for (const std::string& t : tables) {
      pg::statement set(pg_,
                        fmt::format("SELECT setval(pg_get_serial_sequence(?1, 'id'), "
                                    "GREATEST(COALESCE(MAX(id), 0), 1), COALESCE(MAX(id), 0) > 0) "
                                    "FROM {}",
                                    quoted(t)));
      set.bind(1, quoted(t));
      set.run();
    }
  }

  // Reads every table back from PostgreSQL and compares count and digest.
  void verify() {
    for (const std::string& table : copy_order()) {
      const std::vector<column>& cols = columns_[table];
      pg_.exec(fmt::format("DECLARE hd_verify NO SCROLL CURSOR FOR SELECT {} FROM {}",
                           column_list(cols), quoted(table))
                   .c_str());
      std::int64_t rows = 0;
      std::uint64_t sum = 0;
      while (true) {
        pg::statement fetch(pg_, fmt::format("FETCH {} FROM hd_verify", k_fetch_rows));
        int got = 0;
        while (fetch.step()) {
          ++got;
          std::string digest;
          for (std::size_t i = 0; i < cols.size(); ++i) {
            int i_ = static_cast<int>(i);
            bool null = fetch.is_null(i_);
            digest_value(digest, cols[i], null, null ? std::string() : fetch.text(i_));
          }
          sum += row_digest(digest);
          ++rows;
        }
        if (got < k_fetch_rows) break;
      }
      pg_.exec("CLOSE hd_verify");
      auto [want_rows, want_sum] = expected_[table];
      if (rows != want_rows || sum != want_sum) {
        throw copy_error{errc::io, fmt::format("db copy: verification failed for {}: SQLite has "
                                               "{} rows (digest {:016x}), PostgreSQL {} ({:016x}); "
                                               "nothing was committed",
                                               table, want_rows, want_sum, rows, sum)};
      }
      report_.tables.push_back({table, rows, fmt::format("{:016x}", sum)});
    }
  }

  const sql::connection& lite_;
  const pg::connection& pg_;
  const std::function<void(std::string_view)>& progress_;
  copy_report report_;
  std::map<std::string, std::vector<column>> columns_;
  std::map<std::string, std::pair<std::int64_t, std::uint64_t>> expected_;
};

// True when no table this build makes holds a row.
bool empty_target(const pg::connection& c) {
  for (const std::string& t : copy_order()) {
    pg::statement st(c, fmt::format("SELECT EXISTS (SELECT 1 FROM {})", quoted(t)));
    if (st.step() && st.text(0) == "t") return false;
  }
  return true;
}

}  // namespace

result<copy_report, errc> copy_to_postgres(const std::string& sqlite_path, const std::string& url,
                                           const std::function<void(std::string_view)>& progress) {
  auto lite = store::open(sqlite_path);
  if (!lite) return lite.error();
  try {
    pg::connection c = pg::connection::open(url);
    pg::migrate(c);
    if (!empty_target(c)) {
      return fail(errc::invalid,
                  "db copy: the PostgreSQL database is not empty; copy into a new database");
    }
    copier cp(connection_of(*lite), c, progress);
    return cp.run();
  } catch (const copy_error& e) {
    return fail(e.code, e.message);
  } catch (const pg::pg_error& e) {
    return fail(e.temporary() ? errc::busy : errc::cannot_open,
                fmt::format("db copy: PostgreSQL: {} (SQLSTATE {})", e.what(), e.sqlstate));
  } catch (const sql::sqlite_error& e) {
    return to_error(e);
  } catch (const std::runtime_error& e) {  // pg::migrate: a newer database
    return fail(errc::migration, fmt::format("db copy: {}", e.what()));
  }
}

}  // namespace hd::storage
