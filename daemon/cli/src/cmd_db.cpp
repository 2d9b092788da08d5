// helpdeskd db migrate: bring the database schema up to date (also done at every start).
// helpdeskd db backup FILE: a consistent copy while helpdeskd runs.
// helpdeskd db check [--full]: is the database file damaged?
// helpdeskd db recover SRC DEST: the readable rows of a damaged database into a new file.
// helpdeskd db copy --to postgresql://...: the database into an empty PostgreSQL, verified.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/db_health.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/backup.hpp"
#include "hd/storage/pg_copy.hpp"
#include "hd/storage/recover.hpp"
#include "lock_file.hpp"

#include <filesystem>

namespace hd::daemon {
namespace {

// check, backup, compact and copy work on the SQLite file. On PostgreSQL the server has its
// own tools for each (docs/scale-out.md): false, with exit 64 and the tool to use instead.
bool sqlite_only(cli_state& st, const config& cfg, std::string_view command,
                 std::string_view instead) {
  if (!cfg.database.postgres()) return true;
  st.fail(exit_code::usage,
          fmt::format("db {}: works on an SQLite file, and [database] url names PostgreSQL; {}",
                      command, instead));
  return false;
}

void check_command(cli_state& st, bool full) {
  std::optional<config> cfg = st.load_config();
  if (!cfg) return;
  if (!sqlite_only(st, *cfg, "check", "PostgreSQL checks its pages itself (data checksums)")) {
    return;
  }
  std::error_code ec;
  if (!std::filesystem::exists(cfg->database.path, ec)) {
    return st.fail(exit_code::no_input, fmt::format("{}: no such file", cfg->database.path));
  }
  cfg->database.check_on_start = full ? 2 : 1;
  auto h = check_before_intake(*cfg, st.log, "db check", st.io.now());
  if (!h) {
    return st.fail(
        h.error().code == storage::errc::not_a_database ? exit_code::config : exit_code::temp_fail,
        h.error().message);
  }
  const char* kind = full ? "integrity_check" : "quick_check";
  if (!h->ok) {
    return st.fail(exit_code::data_error,
                   fmt::format("{}: {} found damage ({} ms): {}", cfg->database.path, kind,
                               h->elapsed_ms, h->problems));
  }
  st.io.out << fmt::format("{}: {} ok ({} ms)\n", cfg->database.path, kind, h->elapsed_ms);
  st.exit = exit_code::ok;
}

void recover_command(cli_state& st, const std::string& src, const std::string& dest) {
  std::error_code ec;
  if (!std::filesystem::exists(src, ec)) {
    return st.fail(exit_code::no_input, fmt::format("{}: no such file", src));
  }
  if (std::filesystem::exists(dest, ec)) {
    return st.fail(exit_code::can_t_create, fmt::format("{}: exists, give a new file", dest));
  }
  auto r = storage::recover_database(src, dest);
  if (!r) {
    return st.fail(
        r.error().code == storage::errc::busy ? exit_code::temp_fail : exit_code::can_t_create,
        r.error().message);
  }
  std::int64_t copied = 0, unreadable = 0, lost_tables = 0;
  for (const storage::table_recovery& t : r->tables) {
    copied += t.copied;
    unreadable += t.unreadable;
    if (!t.problem.empty()) {
      ++lost_tables;
      st.io.out << fmt::format("{}: not read: {}\n", t.table, t.problem);
    } else {
      st.io.out << fmt::format("{}: {} rows copied, {} unreadable\n", t.table, t.copied,
                               t.unreadable);
    }
  }
  st.io.out << fmt::format(
      "{}: {} rows copied from {}; {} rowids unreadable, {} tables not read; full-text index "
      "and counters rebuilt\n",
      dest, copied, src, unreadable, lost_tables);
  st.exit = r->complete() ? exit_code::ok : exit_code::data_error;
}

void copy_command(cli_state& st, const std::string& url) {
  std::optional<config> cfg = st.load_config();
  if (!cfg) return;
  if (!sqlite_only(st, *cfg, "copy", "the database is on PostgreSQL already")) return;
  std::error_code ec;
  if (!std::filesystem::exists(cfg->database.path, ec)) {
    return st.fail(exit_code::no_input, fmt::format("{}: no such file", cfg->database.path));
  }
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
    return st.fail(exit_code::usage,
                   fmt::format("db copy: --to takes a postgresql:// URL, not '{}'", url));
  }
  // No daemon may write while the copy reads: hold the lock `run` holds.
  lock_file lock(cfg->database.path + ".lock");
  if (!lock.ok()) {
    return st.fail(exit_code::temp_fail,
                   fmt::format("db copy: {} (stop the daemon first)", lock.error()));
  }
  auto started = std::chrono::steady_clock::now();
  auto r = storage::copy_to_postgres(cfg->database.path, url, [&](std::string_view line) {
    st.io.out << line << "\n";
    st.io.out.flush();
  });
  if (!r) {
    int code = exit_code::software;
    switch (r.error().code) {
      case storage::errc::busy:
        code = exit_code::temp_fail;
        break;
      case storage::errc::cannot_open:
        code = exit_code::config;
        break;
      case storage::errc::invalid:
      case storage::errc::io:
        code = exit_code::data_error;
        break;
      default:
        break;
    }
    return st.fail(code, r.error().message);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const storage::table_copy& t : r->tables)
    st.io.out << fmt::format("{}: {} rows, digest {} on both sides\n", t.table, t.rows, t.digest);
  st.io.out << fmt::format(
      "copied {} rows ({:.1f} MB of values) from {} in {:.1f} s, verified: counts and digests "
      "equal. Point [database] at PostgreSQL to use it (docs/scale-out.md).\n",
      r->rows, static_cast<double>(r->bytes) / 1e6, cfg->database.path, secs);
  st.exit = exit_code::ok;
}

void compact_command(cli_state& st) {
  std::optional<config> cfg = st.load_config();
  if (!cfg) return;
  if (!sqlite_only(st, *cfg, "compact", "PostgreSQL's autovacuum does this (or VACUUM FULL)")) {
    return;
  }
  std::error_code ec;
  if (!std::filesystem::exists(cfg->database.path, ec)) {
    return st.fail(exit_code::no_input, fmt::format("{}: no such file", cfg->database.path));
  }
  // VACUUM rewrites the whole file under the write lock: no daemon may be waiting on it.
  lock_file lock(cfg->database.path + ".lock");
  if (!lock.ok()) {
    return st.fail(exit_code::temp_fail,
                   fmt::format("db compact: {} (stop the daemon first)", lock.error()));
  }
  auto s = open_store(*cfg);
  if (!s) return st.fail(exit_code::temp_fail, s.error().message);
  auto started = std::chrono::steady_clock::now();
  auto r = storage::compact(*s);
  if (!r) {
    // A full disk or a busy database: the file is as it was; try again with room.
    return st.fail(exit_code::temp_fail, fmt::format("db compact: {}", r.error().message));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  st.io.out << fmt::format("{}: {:.1f} MB -> {:.1f} MB ({:.1f} MB were free pages) in {:.1f} s\n",
                           cfg->database.path, static_cast<double>(r->bytes_before) / 1e6,
                           static_cast<double>(r->bytes_after) / 1e6,
                           static_cast<double>(r->free_before) / 1e6, secs);
  st.exit = exit_code::ok;
}

}  // namespace

void add_db_commands(CLI::App& app, cli_state& st) {
  CLI::App* db = app.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  CLI::App* migrate =
      db->add_subcommand("migrate", "Create the database or upgrade its schema to this version");
  migrate->callback([&st] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    auto s = open_store(*cfg);
    if (!s) {
      st.fail(exit_code::temp_fail, s.error().message);
      return;
    }
    auto v = s->version();
    if (!v) {
      st.fail(exit_code::temp_fail, v.error().message);
      return;
    }
    st.io.out << fmt::format("{}: schema version {}\n", cfg->database.shown(), *v);
    st.exit = exit_code::ok;
  });
  auto dest = std::make_shared<std::string>();
  CLI::App* backup = db->add_subcommand(
      "backup",
      "Write a consistent copy of the database to FILE while helpdeskd keeps running (SQLite's\n"
      "online backup; a plain cp of a database being written can be torn). The copy is\n"
      "integrity-checked. Exit 0 when done, 73 when FILE exists or cannot be written.");
  backup->add_option("file", *dest, "The new file to write")->required();
  auto rsrc = std::make_shared<std::string>();
  auto rdest = std::make_shared<std::string>();
  CLI::App* recover = db->add_subcommand(
      "recover",
      "Copy the rows SQLite can still read from the damaged database SRC, table by table, into\n"
      "DEST, a new file with the current schema (SRC is only read; the full-text index and the\n"
      "counters are rebuilt). Prints per table the rows copied and the rowids that could not\n"
      "be read. Exit 0 when everything was read, 65 when some rows were lost, 66 when SRC does\n"
      "not exist, 73 when DEST exists or cannot be written. See docs/faults.md.");
  recover->add_option("src", *rsrc, "The damaged database (read only)")->required();
  recover->add_option("dest", *rdest, "The new file to write")->required();
  recover->callback([&st, rsrc, rdest] { recover_command(st, *rsrc, *rdest); });
  backup->callback([&st, dest] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    if (!sqlite_only(st, *cfg, "backup", "use pg_dump or PostgreSQL's base backups")) return;
    auto s = open_store(*cfg);
    if (!s) return st.fail(exit_code::temp_fail, s.error().message);
    auto size = storage::backup_to(*s, *dest);
    if (!size) {
      return st.fail(
          size.error().code == storage::errc::busy ? exit_code::temp_fail : exit_code::can_t_create,
          size.error().message);
    }
    st.io.out << fmt::format("{}: {} bytes, integrity ok\n", *dest, *size);
    st.exit = exit_code::ok;
  });
  auto full = std::make_shared<bool>(false);
  CLI::App* check = db->add_subcommand(
      "check",
      "Check the database file for damage: SQLite's quick_check (pages and b-trees), or with\n"
      "--full its integrity_check (also every index against its table; slower). Reads only.\n"
      "Exit 0 when sound, 65 when damaged (the problems are printed; recovery: docs/faults.md),\n"
      "66 when the file does not exist, 78 when it is not an SQLite database, 75 when busy.\n"
      "A pass removes the damage mark a daemon left for `status`.");
  check->add_flag("--full", *full, "Run integrity_check instead of quick_check");
  check->callback([&st, full] { check_command(st, *full); });
  auto to = std::make_shared<std::string>();
  CLI::App* compact = db->add_subcommand(
      "compact",
      "Give unused pages back to the disk (VACUUM; stop the daemon first; needs free space of "
      "up to the database's size)");
  compact->callback([&st] { compact_command(st); });
  CLI::App* copy = db->add_subcommand(
      "copy",
      "Copy the database into an empty PostgreSQL database (moving over, docs/scale-out.md):\n"
      "its schema is made, every table copied in one transaction with the ids kept, then\n"
      "every table counted and digested on both sides before COMMIT; any difference rolls it\n"
      "all back. Stop the daemon first (the copy takes its lock). Exit 0 when copied and\n"
      "verified, 65 when the target is not empty, a value is refused or the verification\n"
      "failed, 78 when PostgreSQL refuses the login, 75 when it cannot be reached or the\n"
      "daemon runs.");
  copy->add_option("--to", *to, "postgresql://USER:PASSWORD@HOST:PORT/DATABASE")->required();
  copy->callback([&st, to] { copy_command(st, *to); });
}

}  // namespace hd::daemon
