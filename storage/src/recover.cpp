#include "hd/storage/recover.hpp"

#include "store_impl.hpp"

#include <filesystem>
#include <optional>
#include <regex>
#include <set>

namespace hd::storage {

namespace {

constexpr std::int64_t chunk_rows = 1000;

std::string sql_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Tables written by triggers (derived data) and virtual tables with their shadow tables.
std::set<std::string> derived_tables(const sql::connection& db) {
  std::set<std::string> out;
  std::vector<std::string> virtuals;
  sql::statement v(db,
                   "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                   "'CREATE VIRTUAL TABLE%'");
  while (v.step()) virtuals.push_back(v.text(0));
  sql::statement t(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  while (t.step()) {
    std::string name = t.text(0);
    for (const std::string& vt : virtuals) {
      if (name == vt || name.starts_with(vt + "_")) out.insert(name);
    }
  }
  static const std::regex target(R"re((?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE)\s+"?(\w+)"?)re",
                                 std::regex::icase);
  sql::statement tr(db, "SELECT sql FROM sqlite_master WHERE type = 'trigger'");
  while (tr.step()) {
    std::string body = tr.text(0);
    std::size_t begin = body.find(" BEGIN");
    if (begin == std::string::npos) continue;
    body = body.substr(begin);
    for (std::sregex_iterator it(body.begin(), body.end(), target), end; it != end; ++it) {
      out.insert((*it)[1].str());
    }
  }
  return out;
}

std::string column_list(const sql::connection& db, const std::string& table) {
  std::string cols;
  sql::statement st(db, "SELECT name FROM pragma_table_info(?1, 'main')");
  st.bind(1, table);
  while (st.step()) cols += (cols.empty() ? "" : ", ") + sql_name(st.text(0));
  return cols;
}

// Copies rowids LO..HI of TABLE; an unreadable range is halved until single rows are left.
void copy_range(const sql::connection& db, const std::string& insert, std::int64_t lo,
                std::int64_t hi, table_recovery& r) {
  try {
    sql::statement st(db, insert);
    st.bind(1, lo).bind(2, hi).run();
    r.copied += db.changes();
    return;
  } catch (const sql::sqlite_error& e) {
    int primary = e.code & 0xff;
    if (primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB) throw;
  }
  if (lo == hi) {
    ++r.unreadable;
    return;
  }
  std::int64_t mid = lo + (hi - lo) / 2;
  copy_range(db, insert, lo, mid, r);
  copy_range(db, insert, mid + 1, hi, r);
}

table_recovery copy_table(const sql::connection& db, const std::string& table) {
  table_recovery r;
  r.table = table;
  std::string cols = column_list(db, table);
  sql::statement kind(db, "SELECT sql FROM main.sqlite_master WHERE name = ?1");
  kind.bind(1, table);
  if (kind.step() && kind.text(0).find("WITHOUT ROWID") != std::string::npos) {
    // No rowids to range over: the whole table at once, or nothing of it (counted once).
    try {
      sql::statement all(db, "INSERT OR IGNORE INTO main." + sql_name(table) + " (" + cols +
                                 ") SELECT " + cols + " FROM old." + sql_name(table));
      all.run();
      r.copied = db.changes();
    } catch (const sql::sqlite_error& e) {
      if ((e.code & 0xff) != SQLITE_CORRUPT) throw;
      r.unreadable = 1;
    }
    return r;
  }
  // The ends of the rowid range, each read on its own: one may be on a damaged page. A table
  // whose largest rowid cannot be read is given up (counted once) rather than scanned blind.
  auto end_of = [&](const char* fn) -> std::optional<std::int64_t> {
    try {
      sql::statement st(db, std::string("SELECT ") + fn + "(rowid) FROM old." + sql_name(table));
      if (st.step() && !st.is_null(0)) return st.integer(0);
      return std::nullopt;
    } catch (const sql::sqlite_error& e) {
      if ((e.code & 0xff) != SQLITE_CORRUPT) throw;
      return std::int64_t{-1};
    }
  };
  std::optional<std::int64_t> top = end_of("MAX");
  if (!top) return r;  // empty
  if (*top < 0) {
    r.unreadable = 1;
    return r;
  }
  std::optional<std::int64_t> bottom = end_of("MIN");
  std::int64_t lo = bottom && *bottom >= 0 ? *bottom : 1, hi = *top;
  std::string insert = "INSERT OR IGNORE INTO main." + sql_name(table) + " (" + cols + ") SELECT " +
                       cols + " FROM old." + sql_name(table) + " WHERE rowid BETWEEN ?1 AND ?2";
  for (std::int64_t at = lo; at <= hi; at += chunk_rows) {
    copy_range(db, insert, at, std::min(hi, at + chunk_rows - 1), r);
  }
  return r;
}

}  // namespace

result<std::vector<table_recovery>, errc> recover_to(store& src, const std::string& src_path,
                                                     const std::string& dest) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dest, ec))
    return error<errc>{errc::invalid, fmt::format("'{}' exists already: give a new file", dest)};
  auto r = [&]() -> result<std::vector<table_recovery>, errc> {
    open_options opt = detail::access::of(src).opt;
    opt.migrate = true;  // the current schema
    auto out = store::open(dest, opt);
    if (!out) return out.error();
    return guarded([&]() -> result<std::vector<table_recovery>, errc> {
      const sql::connection& db = connection_of(*out);
      db.exec("PRAGMA foreign_keys = OFF");  // rows whose parents were lost are kept
      sql::statement attach(db, "ATTACH DATABASE ?1 AS old");
      attach.bind(1, src_path).run();
      std::set<std::string> derived = derived_tables(db);
      std::vector<std::string> tables;
      sql::statement t(db,
                       "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name "
                       "NOT LIKE 'sqlite_%' ORDER BY name");
      while (t.step()) tables.push_back(t.text(0));
      std::vector<table_recovery> report;
      sql::transaction tx(db);
      for (const std::string& name : tables) {
        if (derived.contains(name)) {
          report.push_back(table_recovery{name, 0, 0, true});
          continue;
        }
        report.push_back(copy_table(db, name));
      }
      tx.commit();  // indexes the copied messages for full-text search (the queue's hook)
      sql::statement check(db, "PRAGMA main.integrity_check");
      check.step();
      if (check.text(0) != "ok") {
        return error<errc>{errc::io, fmt::format("the recovered copy failed its integrity "
                                                 "check: {}",
                                                 check.text(0))};
      }
      return report;
    });
  }();
  if (!r) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(dest + suffix, ec);
  }
  return r;
}

}  // namespace hd::storage
